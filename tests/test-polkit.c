/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorization: every call is checked by a real polkitd for the real caller
 * (see polkit-harness.h for how polkitd and the callers run).
 *
 * The method and property table of docs/authorization.md is the contract
 * these tests walk: every row, not a sample. Where the daemon and a row
 * disagree, a case fails and lists every row that disagrees.
 */
#include "polkit-harness.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define IFACE_INTROSPECTABLE "org.freedesktop.DBus.Introspectable"
#define IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define ROOT_PATH "/org/libvirt"
#define ACTION_PREFIX "org.libvirt.dbus."

/* ---- things to call ------------------------------------------------------------ */

/* A domain (running), a snapshot of it, and the interfaces as introspected. */
typedef struct {
    VbpFixture *f;
    gchar *domain_name;
    gchar *domain_path;
    gchar *domain_uuid;
    guint32 domain_id;
    gchar *snapshot_name;
    gchar *snapshot_path;
    GDBusNodeInfo *node[3];
    guint serial;
} Target;

static const char *const target_ifaces[] = { VB_IFACE_CONNECT, VB_IFACE_DOMAIN, VB_IFACE_SNAPSHOT };

static GDBusNodeInfo *
introspect(VbpFixture *f, const char *path)
{
    g_autoptr(GVariant) r = vb_call_ok(&f->vb, path, IFACE_INTROSPECTABLE, "Introspect", NULL, "(s)");
    g_autoptr(GError) error = NULL;
    const char *xml;
    g_variant_get(r, "(&s)", &xml);
    GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(xml, &error);
    g_assert_no_error(error);
    return node;
}

static gchar *
string_property(VbpFixture *f, const char *path, const char *iface, const char *name)
{
    return vb_get_string(&f->vb, path, iface, name);
}

static gint
root_state(VbpFixture *f, const char *path)
{
    gint state, reason;
    vb_get_state(&f->vb, path, &state, &reason);
    return state;
}

static gchar *
domain_xml_with_uuid(const char *name, const char *uuid)
{
    return g_strdup_printf("<domain type='test'><name>%s</name>%s%s%s<memory>8192</memory>"
                           "<os><type>hvm</type></os></domain>",
                           name, uuid ? "<uuid>" : "", uuid ? uuid : "", uuid ? "</uuid>" : "");
}

/* As root: defines @name, starts it when @start, and takes a snapshot. */
static Target *
target_new(VbpFixture *f, const char *name, gboolean start)
{
    Target *t = g_new0(Target, 1);

    t->f = f;
    t->domain_name = g_strdup(name);
    t->domain_path = vb_define_domain(&f->vb, name);
    if (start) {
        g_autoptr(GVariant) r = vb_call_ok(&f->vb, t->domain_path, VB_IFACE_DOMAIN, "Create",
                                           g_variant_new("(u)", 0), "()");
    }
    t->domain_uuid = string_property(f, t->domain_path, VB_IFACE_DOMAIN, "UUID");
    g_autoptr(GVariant) id = vb_get_property(&f->vb, t->domain_path, VB_IFACE_DOMAIN, "Id");
    t->domain_id = g_variant_get_uint32(id);
    t->snapshot_name = g_strdup_printf("snap-%s", name);
    g_autofree gchar *snap_xml = g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>",
                                                 t->snapshot_name);
    g_autoptr(GVariant) snap = vb_call_ok(&f->vb, t->domain_path, VB_IFACE_DOMAIN, "SnapshotCreateXML",
                                          g_variant_new("(su)", snap_xml, 0), "(o)");
    g_variant_get(snap, "(o)", &t->snapshot_path);
    t->node[0] = introspect(f, VB_TEST_PATH);
    t->node[1] = introspect(f, t->domain_path);
    t->node[2] = introspect(f, t->snapshot_path);
    return t;
}

static void
target_free(Target *t)
{
    for (gsize i = 0; i < G_N_ELEMENTS(t->node); i++)
        g_dbus_node_info_unref(t->node[i]);
    g_free(t->domain_name);
    g_free(t->domain_path);
    g_free(t->domain_uuid);
    g_free(t->snapshot_name);
    g_free(t->snapshot_path);
    g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Target, target_free)

static const char *
target_path(Target *t, const char *iface)
{
    if (g_str_equal(iface, VB_IFACE_CONNECT))
        return VB_TEST_PATH;
    if (g_str_equal(iface, VB_IFACE_DOMAIN))
        return t->domain_path;
    return t->snapshot_path;
}

static GDBusInterfaceInfo *
target_iface(Target *t, const char *iface)
{
    for (gsize i = 0; i < G_N_ELEMENTS(target_ifaces); i++)
        if (g_str_equal(iface, target_ifaces[i])) {
            GDBusInterfaceInfo *info = g_dbus_node_info_lookup_interface(t->node[i], iface);
            if (!info)
                g_error("%s does not implement %s", target_path(t, iface), iface);
            return info;
        }
    g_error("unknown interface %s", iface);
}

/* A value of D-Bus type @sig that says "nothing in particular". */
static GVariant *
plain_value(const char *sig)
{
    switch (sig[0]) {
    case 'b': return g_variant_new_boolean(FALSE);
    case 'y': return g_variant_new_byte(0);
    case 'n': return g_variant_new_int16(0);
    case 'q': return g_variant_new_uint16(0);
    case 'i': return g_variant_new_int32(0);
    case 'u': return g_variant_new_uint32(0);
    case 'x': return g_variant_new_int64(0);
    case 't': return g_variant_new_uint64(0);
    case 'd': return g_variant_new_double(0);
    case 's': return g_variant_new_string("");
    case 'o': return g_variant_new_object_path("/");
    case 'g': return g_variant_new_signature("");
    case 'h': return g_variant_new_handle(0);
    case 'v': return g_variant_new_variant(g_variant_new_string(""));
    case 'a': return g_variant_new_array(G_VARIANT_TYPE(sig + 1), NULL, 0);
    default: g_error("no plain value for type %s", sig);
    }
}

#define CPU_XML "<cpu><arch>x86_64</arch><model>qemu64</model></cpu>"

/* Arguments that get past the daemon's own checks (well-formed XML, the
 * target's names), so that what answers is authorization, then libvirt. */
static GVariant *
argument(Target *t, const char *iface, const char *method, const GDBusArgInfo *arg, gboolean use_flag)
{
    const char *n = arg->name;
    gboolean connect = g_str_equal(iface, VB_IFACE_CONNECT);

    if (g_str_equal(n, "flags"))
        return g_variant_new_uint32(use_flag ? 1 : 0);
    if (connect && g_str_equal(method, "DomainLookupByName"))
        return g_variant_new_string(t->domain_name);
    if (connect && g_str_equal(method, "DomainLookupByUUID"))
        return g_variant_new_string(t->domain_uuid);
    if (connect && g_str_equal(method, "DomainLookupByID"))
        return g_variant_new_int32((gint32)t->domain_id);
    if (connect && g_str_equal(method, "GetCPUModelNames") && g_str_equal(n, "arch"))
        return g_variant_new_string("x86_64");
    if (g_str_equal(n, "xmlCPUs")) {
        const char *cpus[] = { CPU_XML, NULL };
        return g_variant_new_strv(cpus, -1);
    }
    if (g_str_equal(n, "xmlDesc") && g_str_equal(method, "CompareCPU"))
        return g_variant_new_string(CPU_XML);
    if (g_str_equal(n, "xml")) {
        if (g_str_equal(method, "DomainRestore") || g_str_equal(method, "Save"))
            return g_variant_new_string("");
        if (g_str_equal(method, "SnapshotCreateXML")) {
            g_autofree gchar *xml = g_strdup_printf("<domainsnapshot><name>%s-%u</name></domainsnapshot>",
                                                    t->snapshot_name, ++t->serial);
            return g_variant_new_string(xml);
        }
        if (g_str_has_suffix(method, "Device"))
            return g_variant_new_string("<disk type='file' device='disk'><source file='/nonexistent.img'/>"
                                        "<target dev='vdz' bus='virtio'/></disk>");
        g_autofree gchar *name = g_strdup_printf("%s-%s-%u", t->domain_name, method, ++t->serial);
        g_autofree gchar *xml = vb_domain_xml(name);
        return g_variant_new_string(xml);
    }
    if (g_str_equal(n, "name") && g_str_equal(method, "SnapshotLookupByName"))
        return g_variant_new_string(t->snapshot_name);
    if (g_str_equal(n, "name") && g_str_equal(method, "Rename")) {
        g_autofree gchar *name = g_strdup_printf("%s-renamed-%u", t->domain_name, ++t->serial);
        return g_variant_new_string(name);
    }
    if (g_str_equal(n, "from") || g_str_equal(n, "to") || g_str_equal(n, "file")) {
        g_autofree gchar *file = g_strdup_printf("%s/%s-%u.img", t->f->vb.tmpdir, method, ++t->serial);
        return g_variant_new_string(file);
    }
    return plain_value(arg->signature);
}

static GVariant *
method_args(Target *t, const char *iface, const char *method, gboolean use_flag)
{
    GDBusMethodInfo *mi = g_dbus_interface_info_lookup_method(target_iface(t, iface), method);
    g_autoptr(GPtrArray) args = g_ptr_array_new();

    if (!mi)
        g_error("%s has no method %s", iface, method);
    for (GDBusArgInfo **a = mi->in_args; a && *a; a++)
        g_ptr_array_add(args, argument(t, iface, method, *a, use_flag));
    return g_variant_new_tuple((GVariant **)args->pdata, args->len);
}

/* Makes the call a table row describes, as @c. */
static VbpReply *
row_call(VbpCaller *c, Target *t, const VbpRow *row, gboolean use_flag)
{
    const char *path = target_path(t, row->interface);

    switch (row->kind) {
    case VBP_KIND_PROPERTY_READ:
        return vbp_caller_call(c, path, VB_IFACE_PROPERTIES, "Get",
                               g_variant_new("(ss)", row->interface, row->member), FALSE);
    case VBP_KIND_PROPERTY_WRITE: {
        GDBusPropertyInfo *pi = g_dbus_interface_info_lookup_property(target_iface(t, row->interface),
                                                                      row->member);
        if (!pi)
            g_error("%s has no property %s", row->interface, row->member);
        GVariant *value = g_str_equal(pi->signature, "b") ? g_variant_new_boolean(TRUE)
                                                          : plain_value(pi->signature);
        return vbp_caller_call(c, path, VB_IFACE_PROPERTIES, "Set",
                               g_variant_new("(ssv)", row->interface, row->member, value), FALSE);
    }
    case VBP_KIND_METHOD:
        break;
    }
    return vbp_caller_call(c, path, row->interface, row->member,
                           method_args(t, row->interface, row->member, use_flag), FALSE);
}

static gchar *
row_label(const VbpRow *row, gboolean use_flag)
{
    return g_strdup_printf("%s.%s (%s%s)", row->interface, row->member, vbp_kind_name(row->kind),
                           use_flag ? ", flags=1" : "");
}

/* One check of a row: the action that applies and whether the call sets the
 * flag that selects it. */
typedef struct {
    const VbpRow *row;
    const char *action;
    gboolean use_flag;
} Check;

/* Every (row, action) pair of the table. Calls that remove what later calls
 * need (Undefine, the snapshot's Delete) come last. */
static GArray *
table_checks(GPtrArray *rows)
{
    GArray *checks = g_array_new(FALSE, FALSE, sizeof(Check));
    for (int pass = 0; pass < 2; pass++)
        for (guint i = 0; i < rows->len; i++) {
            const VbpRow *row = g_ptr_array_index(rows, i);
            gboolean last = g_str_equal(row->member, "Undefine") ||
                            (g_str_equal(row->interface, VB_IFACE_SNAPSHOT) && g_str_equal(row->member, "Delete"));
            if (last != (pass == 1))
                continue;
            Check c = { row, row->action, FALSE };
            g_array_append_val(checks, c);
            if (row->flag_action) {
                Check fc = { row, row->flag_action, TRUE };
                g_array_append_val(checks, fc);
            }
        }
    return checks;
}

static gboolean
is_read_action(const char *action)
{
    const char *perm = vbp_action_permission(action);
    return g_str_equal(perm, "getattr") || g_str_equal(perm, "read") || g_str_equal(perm, "search-domains");
}

/* Observations worth reading in the log: case subprocesses' stdout is not
 * shown, their stderr is. */
static void G_GNUC_PRINTF(1, 2)
note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr("# %s\n", text);
}

static void
fail_with_problems(GString *problems, guint count, const char *what)
{
    if (count == 0)
        return;
    g_autofree gchar *msg = g_strdup_printf("%u %s:%s", count, what, problems->str);
    g_test_message("%s", msg);
    g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
}

/* ---- the table covers the daemon ------------------------------------------------ */

static gboolean
table_has(GPtrArray *rows, const char *iface, const char *member, VbpKind kind)
{
    for (guint i = 0; i < rows->len; i++) {
        const VbpRow *r = g_ptr_array_index(rows, i);
        if (r->kind == kind && g_str_equal(r->interface, iface) && g_str_equal(r->member, member))
            return TRUE;
    }
    return FALSE;
}

/* Every method and property of the live objects (Connect, a Domain, a
 * DomainSnapshot) has its row, and every row names a live member. */
static void
test_table_covers_introspection(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = vbp_table_load();
    g_autoptr(Target) t = target_new(f, "cover-1", TRUE);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0, members = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(target_ifaces); i++) {
        GDBusInterfaceInfo *info = target_iface(t, target_ifaces[i]);
        for (GDBusMethodInfo **m = info->methods; m && *m; m++, members++)
            if (!table_has(rows, info->name, (*m)->name, VBP_KIND_METHOD)) {
                g_string_append_printf(problems, "\n  no row for method %s.%s", info->name, (*m)->name);
                count++;
            }
        for (GDBusPropertyInfo **p = info->properties; p && *p; p++, members++) {
            if (((*p)->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE) &&
                !table_has(rows, info->name, (*p)->name, VBP_KIND_PROPERTY_READ)) {
                g_string_append_printf(problems, "\n  no 'property read' row for %s.%s", info->name,
                                       (*p)->name);
                count++;
            }
            if (((*p)->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE) &&
                !table_has(rows, info->name, (*p)->name, VBP_KIND_PROPERTY_WRITE)) {
                g_string_append_printf(problems, "\n  no 'property write' row for %s.%s", info->name,
                                       (*p)->name);
                count++;
            }
        }
    }
    for (guint i = 0; i < rows->len; i++) {
        const VbpRow *r = g_ptr_array_index(rows, i);
        GDBusInterfaceInfo *info = target_iface(t, r->interface);
        gboolean ok;
        if (r->kind == VBP_KIND_METHOD) {
            ok = g_dbus_interface_info_lookup_method(info, r->member) != NULL;
        } else {
            GDBusPropertyInfo *p = g_dbus_interface_info_lookup_property(info, r->member);
            ok = p && (p->flags & (r->kind == VBP_KIND_PROPERTY_READ ? G_DBUS_PROPERTY_INFO_FLAGS_READABLE
                                                                       : G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE));
        }
        if (!ok) {
            g_string_append_printf(problems, "\n  row %s.%s (%s) names nothing the daemon has", r->interface,
                                   r->member, vbp_kind_name(r->kind));
            count++;
        }
        if (!g_str_has_prefix(r->action, ACTION_PREFIX "connect.") &&
            !g_str_has_prefix(r->action, ACTION_PREFIX "domain.")) {
            g_string_append_printf(problems, "\n  row %s.%s: unknown action %s", r->interface, r->member,
                                   r->action);
            count++;
        }
    }
    g_test_message("%u live members, %u table rows", members, rows->len);
    g_assert_cmpuint(members, >, 50);
    fail_with_problems(problems, count, "differences between the live introspection and docs/authorization.md");
}

/* ---- nobody, with the shipped defaults -------------------------------------------- */

/* nobody may read every property (Get and GetAll, Connect and Domain) and
 * GetState. */
static void
test_nobody_reads_properties(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = vbp_table_load();
    g_autoptr(Target) t = target_new(f, "reads-1", TRUE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0, props = 0;

    for (guint i = 0; i < rows->len; i++) {
        const VbpRow *row = g_ptr_array_index(rows, i);
        if (row->kind != VBP_KIND_PROPERTY_READ)
            continue;
        g_autoptr(VbpReply) r = row_call(nobody, t, row, FALSE);
        props++;
        if (!r->ok) {
            g_autofree gchar *d = vbp_reply_describe(r);
            g_string_append_printf(problems, "\n  Get %s.%s: %s", row->interface, row->member, d);
            count++;
            continue;
        }
        /* The same value root reads. */
        g_autoptr(GVariant) mine = NULL;
        g_variant_get(r->value, "(v)", &mine);
        g_autoptr(GVariant) roots = vb_get_property(&f->vb, target_path(t, row->interface), row->interface,
                                                    row->member);
        if (!g_variant_equal(mine, roots)) {
            g_autofree gchar *a = g_variant_print(mine, TRUE), *b = g_variant_print(roots, TRUE);
            g_string_append_printf(problems, "\n  Get %s.%s: nobody read %s, root %s", row->interface,
                                   row->member, a, b);
            count++;
        }
    }
    g_assert_cmpuint(props, >=, 15);

    const char *objects[][2] = { { VB_TEST_PATH, VB_IFACE_CONNECT }, { t->domain_path, VB_IFACE_DOMAIN } };
    for (gsize i = 0; i < G_N_ELEMENTS(objects); i++) {
        g_autoptr(VbpReply) r = vbp_caller_call(nobody, objects[i][0], VB_IFACE_PROPERTIES, "GetAll",
                                                g_variant_new("(s)", objects[i][1]), FALSE);
        if (!r->ok) {
            g_autofree gchar *d = vbp_reply_describe(r);
            g_string_append_printf(problems, "\n  GetAll %s: %s", objects[i][1], d);
            count++;
            continue;
        }
        g_autoptr(GVariant) all = g_variant_get_child_value(r->value, 0);
        for (guint j = 0; j < rows->len; j++) {
            const VbpRow *row = g_ptr_array_index(rows, j);
            if (row->kind != VBP_KIND_PROPERTY_READ || !g_str_equal(row->interface, objects[i][1]))
                continue;
            g_autoptr(GVariant) v = g_variant_lookup_value(all, row->member, NULL);
            if (!v) {
                g_string_append_printf(problems, "\n  GetAll %s lacks %s", objects[i][1], row->member);
                count++;
            }
        }
    }

    g_autoptr(GVariant) state = vbp_call_ok(nobody, t->domain_path, VB_IFACE_DOMAIN, "GetState",
                                            g_variant_new("(u)", 0));
    gint st, reason;
    g_variant_get(state, "((ii))", &st, &reason);
    g_assert_cmpint(st, ==, VIR_DOMAIN_RUNNING);
    fail_with_problems(problems, count, "property reads refused or wrong for nobody");
}

/* nobody may call every method whose action is getattr, read or
 * search-domains (libvirt may still say no: the test driver lacks some). */
static void
test_nobody_read_methods(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = vbp_table_load();
    g_autoptr(GArray) checks = table_checks(rows);
    g_autoptr(Target) t = target_new(f, "readm-1", TRUE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0, calls = 0;

    for (guint i = 0; i < checks->len; i++) {
        Check *c = &g_array_index(checks, Check, i);
        if (c->row->kind != VBP_KIND_METHOD || !is_read_action(c->action))
            continue;
        g_autoptr(VbpReply) r = row_call(nobody, t, c->row, c->use_flag);
        g_autofree gchar *label = row_label(c->row, c->use_flag);
        calls++;
        if (vbp_reply_is_refusal(r) || g_strcmp0(r->error_name, VB_DBUS_UNKNOWN_OBJECT) == 0) {
            g_autofree gchar *d = vbp_reply_describe(r);
            g_string_append_printf(problems, "\n  %s [%s]: %s", label, c->action, d);
            count++;
        }
    }
    g_test_message("%u read calls made as nobody", calls);
    g_assert_cmpuint(calls, >=, 20);
    fail_with_problems(problems, count, "read calls refused to nobody");
}

/* The state root sees, to show that refused calls changed nothing. */
typedef struct {
    gint state;
    gboolean autostart;
    gchar *name;
    guint ndomains;
    guint nsnapshots;
} Snapshot;

static void
observe(VbpFixture *f, Target *t, Snapshot *s)
{
    g_auto(GStrv) doms = vb_list_domains(&f->vb, 0);
    g_autoptr(GVariant) snaps = vb_call_ok(&f->vb, t->domain_path, VB_IFACE_DOMAIN, "ListDomainSnapshots",
                                           g_variant_new("(u)", 0), "(ao)");
    g_autoptr(GVariant) inner = g_variant_get_child_value(snaps, 0);
    s->state = root_state(f, t->domain_path);
    s->autostart = vb_get_bool(&f->vb, t->domain_path, VB_IFACE_DOMAIN, "Autostart");
    s->name = string_property(f, t->domain_path, VB_IFACE_DOMAIN, "Name");
    s->ndomains = g_strv_length(doms);
    s->nsnapshots = (guint)g_variant_n_children(inner);
}

static void
assert_unchanged(VbpFixture *f, Target *t, Snapshot *before)
{
    Snapshot after = { 0 };
    observe(f, t, &after);
    g_assert_cmpint(after.state, ==, before->state);
    g_assert_cmpint(after.autostart, ==, before->autostart);
    g_assert_cmpstr(after.name, ==, before->name);
    g_assert_cmpuint(after.ndomains, ==, before->ndomains);
    g_assert_cmpuint(after.nsnapshots, ==, before->nsnapshots);
    g_free(after.name);
}

/* Walks every (row, action) whose action changes something and asserts the
 * call is refused, naming exactly that action; @unavailable: polkit is down
 * and the text must say so. */
static void
walk_changes_refused(VbpFixture *f, VbpCaller *c, Target *t, gboolean unavailable)
{
    g_autoptr(GPtrArray) rows = vbp_table_load();
    g_autoptr(GArray) checks = table_checks(rows);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0, calls = 0;
    Snapshot before = { 0 };

    observe(f, t, &before);
    for (guint i = 0; i < checks->len; i++) {
        Check *ch = &g_array_index(checks, Check, i);
        if (is_read_action(ch->action))
            continue;
        g_autoptr(VbpReply) r = row_call(c, t, ch->row, ch->use_flag);
        g_autofree gchar *label = row_label(ch->row, ch->use_flag);
        g_autofree gchar *named = vbp_reply_action(r);
        g_autofree gchar *d = vbp_reply_describe(r);
        calls++;
        if (!vbp_reply_is_refusal(r)) {
            g_string_append_printf(problems, "\n  %s [%s]: not refused: %s", label, ch->action, d);
            count++;
        } else if (g_strcmp0(named, ch->action) != 0) {
            g_string_append_printf(problems, "\n  %s: refused naming %s instead of %s (%s)", label,
                                   named ? named : "no action", ch->action, d);
            count++;
        } else if (unavailable && (g_strcmp0(r->error_name, VBP_DBUS_ACCESS_DENIED) != 0 ||
                                   !strstr(r->error_message, "not available"))) {
            g_string_append_printf(problems, "\n  %s: with polkitd stopped, expected AccessDenied saying the "
                                   "authorization service is not available, got %s", label, d);
            count++;
        }
    }
    g_test_message("%u changing calls made as %s", calls, vbp_caller_user(c));
    fail_with_problems(problems, count, "changing calls not refused as documented");
    g_assert_cmpuint(calls, >=, 30);
    assert_unchanged(f, t, &before);
    g_free(before.name);
}

/* nobody is refused every method and property write that changes
 * something, walked from the table; the refusal names the action. */
static void
test_nobody_refused_changes(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, "refuse-1", TRUE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);

    walk_changes_refused(f, nobody, t, FALSE);
}

/* ---- a member of group libvirt --------------------------------------------------- */

static void
test_libvirt_group_does_everything(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = vbp_table_load();
    g_autoptr(GArray) checks = table_checks(rows);
    g_autoptr(VbpCaller) admin = vbp_caller_new(VBP_USER_ADMIN);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0, calls = 0;

    /* Real effects first, on a domain of its own. */
    g_autofree gchar *path = vb_define_domain(&f->vb, "admin-1");
    g_autoptr(GVariant) r1 = vbp_call_ok(admin, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    g_assert_cmpint(root_state(f, path), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) r2 = vbp_call_ok(admin, path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_assert_cmpint(root_state(f, path), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) r3 = vbp_call_ok(admin, path, VB_IFACE_DOMAIN, "Resume", NULL);
    g_assert_cmpint(root_state(f, path), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) r4 = vbp_call_ok(admin, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    g_assert_cmpint(root_state(f, path), ==, VIR_DOMAIN_SHUTOFF);
    g_autoptr(GVariant) r5 = vbp_call_ok(admin, path, VB_IFACE_PROPERTIES, "Set",
                                         g_variant_new("(ssv)", VB_IFACE_DOMAIN, "Autostart",
                                                       g_variant_new_boolean(TRUE)));
    g_assert_true(vb_get_bool(&f->vb, path, VB_IFACE_DOMAIN, "Autostart"));
    g_autofree gchar *xml = vb_domain_xml("admin-2");
    g_autoptr(GVariant) r6 = vbp_call_ok(admin, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                         g_variant_new("(s)", xml));
    g_autofree gchar *defined = vb_domain_path(&f->vb, "admin-2");
    g_assert_cmpstr(g_variant_get_type_string(r6), ==, "(o)");
    g_autoptr(GVariant) r7 = vbp_call_ok(admin, defined, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0));
    g_auto(GStrv) doms = vb_list_domains(&f->vb, 0);
    g_assert_false(g_strv_contains((const gchar *const *)doms, defined));

    /* Then every row. */
    g_autoptr(Target) t = target_new(f, "admin-walk", TRUE);
    for (guint i = 0; i < checks->len; i++) {
        Check *c = &g_array_index(checks, Check, i);
        g_autoptr(VbpReply) r = row_call(admin, t, c->row, c->use_flag);
        g_autofree gchar *label = row_label(c->row, c->use_flag);
        calls++;
        if (vbp_reply_is_refusal(r) || g_strcmp0(r->error_name, VB_DBUS_UNKNOWN_OBJECT) == 0) {
            g_autofree gchar *d = vbp_reply_describe(r);
            g_string_append_printf(problems, "\n  %s [%s]: %s", label, c->action, d);
            count++;
        }
    }
    g_test_message("%u calls made as %s", calls, VBP_USER_ADMIN);
    fail_with_problems(problems, count, "calls refused to a member of group libvirt");
    g_assert_cmpuint(calls, >=, 80);
}

/* ---- per-domain rules --------------------------------------------------------------- */

/* vbtest-alice may start and stop the domains named web-*, nothing else
 * that changes anything; with @hide she sees (getattr) only those. */
static gchar *
web_rule(gboolean hide)
{
    return g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user != \"" VBP_USER_ALICE "\" || action.id.indexOf(\"" ACTION_PREFIX "\") != 0)\n"
        "        return polkit.Result.NOT_HANDLED;\n"
        "    if (action.id == \"" ACTION_PREFIX "connect.getattr\" ||\n"
        "        action.id == \"" ACTION_PREFIX "connect.search-domains\")\n"
        "        return polkit.Result.YES;\n"
        "    var name = action.lookup(\"domain_name\");\n"
        "    var web = name !== undefined && name.indexOf(\"web-\") == 0;\n"
        "    if (action.id == \"" ACTION_PREFIX "domain.getattr\")\n"
        "        return (%s) ? polkit.Result.YES : polkit.Result.NO;\n"
        "    if ((action.id == \"" ACTION_PREFIX "domain.start\" ||\n"
        "         action.id == \"" ACTION_PREFIX "domain.stop\") && web)\n"
        "        return polkit.Result.YES;\n"
        "    return polkit.Result.NO;\n"
        "});\n",
        hide ? "web" : "true");
}

static gchar *
replace_all(const char *text, const char *what, const char *with)
{
    g_auto(GStrv) parts = g_strsplit(text, what, -1);
    return g_strjoinv(with, parts);
}

static gboolean
paths_contain(GVariant *paths, const char *path)
{
    GVariantIter it;
    const char *p;
    g_variant_iter_init(&it, paths);
    while (g_variant_iter_next(&it, "&o", &p))
        if (g_str_equal(p, path))
            return TRUE;
    return FALSE;
}

#define VB_TEST_MISSING_UUID "00000000-1111-2222-3333-444444444444"

static void
same_text(const char *what, const char *text, const char *other, const char *other_text, GString *problems,
          guint *count)
{
    if (g_strcmp0(text, other_text) == 0)
        return;
    g_string_append_printf(problems, "\n  %s answers \"%s\" but %s answers \"%s\"", what, text, other,
                           other_text);
    (*count)++;
}

static void
test_per_domain_rule(VbpFixture *f)
{
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0;
    g_autofree gchar *web = vb_define_domain(&f->vb, "web-1");
    g_autofree gchar *db = vb_define_domain(&f->vb, "db-1");
    g_autofree gchar *db_uuid = string_property(f, db, VB_IFACE_DOMAIN, "UUID");

    /* Phase 1: alice sees every domain, starts and stops only web-*. */
    g_autofree gchar *rule1 = web_rule(FALSE);
    vbp_polkit_set_rule(f->polkit, "40-alice.rules", rule1);
    {
        g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
        g_autoptr(GVariant) a = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
        g_assert_cmpint(root_state(f, web), ==, VIR_DOMAIN_RUNNING);
        g_autoptr(GVariant) b = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
        g_assert_cmpint(root_state(f, web), ==, VIR_DOMAIN_SHUTOFF);

        g_autoptr(VbpReply) c = vbp_call_err(alice, db, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0),
                                             VBP_DBUS_ACCESS_DENIED);
        g_autofree gchar *ca = vbp_reply_action(c);
        g_assert_cmpstr(ca, ==, ACTION_PREFIX "domain.start");
        g_assert_cmpint(root_state(f, db), ==, VIR_DOMAIN_SHUTOFF);

        /* Only start and stop: suspend is refused even on web-1. */
        g_autoptr(GVariant) d = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
        g_autoptr(VbpReply) e = vbp_call_err(alice, web, VB_IFACE_DOMAIN, "Suspend", NULL,
                                             VBP_DBUS_ACCESS_DENIED);
        g_autofree gchar *ea = vbp_reply_action(e);
        g_assert_cmpstr(ea, ==, ACTION_PREFIX "domain.suspend");
        g_assert_cmpint(root_state(f, web), ==, VIR_DOMAIN_RUNNING);
        g_autoptr(GVariant) g = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    }

    /* Phase 2: alice also sees only web-* (a fresh caller: nothing cached). */
    g_autofree gchar *rule2 = web_rule(TRUE);
    vbp_polkit_set_rule(f->polkit, "40-alice.rules", rule2);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);

    g_autoptr(GVariant) list = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                           g_variant_new("(u)", 0));
    g_autoptr(GVariant) paths = g_variant_get_child_value(list, 0);
    g_assert_true(paths_contain(paths, web));
    g_assert_false(paths_contain(paths, db));
    g_assert_cmpuint(g_variant_n_children(paths), ==, 1); /* not even the test driver's "test" */

    g_autoptr(GVariant) objects = vbp_call_ok(alice, ROOT_PATH, IFACE_OBJECT_MANAGER, "GetManagedObjects", NULL);
    g_autoptr(GVariant) objmap = g_variant_get_child_value(objects, 0);
    g_autoptr(GVariant) has_web = g_variant_lookup_value(objmap, web, NULL);
    g_autoptr(GVariant) has_db = g_variant_lookup_value(objmap, db, NULL);
    g_assert_nonnull(has_web);
    g_assert_null(has_db);

    /* A call on db-1's path gets what a path naming no domain gets. */
    g_autoptr(VbpReply) hidden = vbp_call_err(alice, db, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0),
                                              VB_DBUS_UNKNOWN_OBJECT);
    g_autoptr(VbpReply) missing = vbp_call_err(alice, VB_MISSING_DOMAIN_PATH, VB_IFACE_DOMAIN, "Create",
                                               g_variant_new("(u)", 0), VB_DBUS_UNKNOWN_OBJECT);
    g_autofree gchar *hidden_text = replace_all(hidden->error_message, db, "<path>");
    g_autofree gchar *missing_text = replace_all(missing->error_message, VB_MISSING_DOMAIN_PATH, "<path>");
    same_text("a call on db-1's path", hidden_text, "one on a path naming no domain", missing_text, problems,
              &count);
    g_assert_cmpint(root_state(f, db), ==, VIR_DOMAIN_SHUTOFF);
    g_autoptr(VbpReply) hidden_get = vbp_call_err(alice, db, VB_IFACE_PROPERTIES, "Get",
                                                  g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"),
                                                  VB_DBUS_UNKNOWN_OBJECT);
    g_autoptr(VbpReply) hidden_state = vbp_call_err(alice, db, VB_IFACE_DOMAIN, "GetState",
                                                    g_variant_new("(u)", 0), VB_DBUS_UNKNOWN_OBJECT);

    /* Lookups find no db-1, in the words used for a name that exists nowhere. */
    g_autoptr(VbpReply) by_name = vbp_call_err(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                               g_variant_new("(s)", "db-1"), VB_ERR_NO_DOMAIN);
    g_autoptr(VbpReply) by_name_missing = vbp_call_err(alice, VB_TEST_PATH, VB_IFACE_CONNECT,
                                                       "DomainLookupByName", g_variant_new("(s)", "no-such-1"),
                                                       VB_ERR_NO_DOMAIN);
    g_autofree gchar *t1 = replace_all(by_name->error_message, "db-1", "<name>");
    g_autofree gchar *t2 = replace_all(by_name_missing->error_message, "no-such-1", "<name>");
    same_text("DomainLookupByName(\"db-1\")", t1, "DomainLookupByName(\"no-such-1\")", t2, problems, &count);
    g_autoptr(VbpReply) by_uuid = vbp_call_err(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByUUID",
                                               g_variant_new("(s)", db_uuid), VB_ERR_NO_DOMAIN);
    g_autoptr(VbpReply) by_uuid_missing = vbp_call_err(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByUUID",
                                                       g_variant_new("(s)", VB_TEST_MISSING_UUID), VB_ERR_NO_DOMAIN);
    g_autofree gchar *t3 = replace_all(by_uuid->error_message, db_uuid, "<uuid>");
    g_autofree gchar *t4 = replace_all(by_uuid_missing->error_message, VB_TEST_MISSING_UUID, "<uuid>");
    same_text("DomainLookupByUUID(db-1's uuid)", t3, "DomainLookupByUUID(a uuid no domain has)", t4, problems,
              &count);

    /* Nor do the statistics or the object tree name it. */
    g_autoptr(VbpReply) stats = vbp_caller_call(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "GetAllDomainStats",
                                                g_variant_new("(uu)", 0, 0), FALSE);
    if (stats->ok) {
        g_autofree gchar *text = g_variant_print(stats->value, FALSE);
        g_assert_null(strstr(text, "'db-1'"));
    } else {
        g_assert_false(vbp_reply_is_refusal(stats));
    }
    g_autoptr(GVariant) tree = vbp_call_ok(alice, VB_TEST_PATH "/domain", IFACE_INTROSPECTABLE, "Introspect", NULL);
    const char *tree_xml;
    g_variant_get(tree, "(&s)", &tree_xml);
    g_assert_null(strstr(tree_xml, strrchr(db, '/') + 1));
    g_assert_nonnull(strstr(tree_xml, strrchr(web, '/') + 1));

    /* web-1 still works for her. */
    g_autoptr(GVariant) s = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    g_assert_cmpint(root_state(f, web), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) found = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                            g_variant_new("(s)", "web-1"));
    const char *found_path;
    g_variant_get(found, "(&o)", &found_path);
    g_assert_cmpstr(found_path, ==, web);
    fail_with_problems(problems, count, "ways a hidden domain differs from a missing one");
}

/* ---- interactive authorization ------------------------------------------------------ */

static void
test_interactive(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, "inter-1", TRUE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);

    /* The default for stop is auth_admin_keep: a challenge. Without the
     * flag, the caller is told it could authenticate. */
    g_autoptr(VbpReply) plain = vbp_call_err(nobody, t->domain_path, VB_IFACE_DOMAIN, "Destroy",
                                             g_variant_new("(u)", 0), VBP_DBUS_INTERACTIVE);
    g_autofree gchar *a1 = vbp_reply_action(plain);
    g_assert_cmpstr(a1, ==, ACTION_PREFIX "domain.stop");

    /* With the flag, polkit looks for an authentication agent; there is
     * none, so the answer is no. */
    g_autoptr(VbpReply) inter = vbp_call_err_impl(__FILE__, __LINE__, nobody, t->domain_path, VB_IFACE_DOMAIN,
                                                  "Destroy", g_variant_new("(u)", 0), TRUE,
                                                  VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *a2 = vbp_reply_action(inter);
    g_assert_cmpstr(a2, ==, ACTION_PREFIX "domain.stop");
    note("Destroy as nobody with the interactive flag and no agent: %s", inter->error_message);
    g_assert_null(strstr(inter->error_message, "not available"));
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_RUNNING);
}

/* ---- polkitd stopped and started again ----------------------------------------------- */

static void
test_polkitd_stopped(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, "down-1", TRUE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    g_autoptr(VbpCaller) admin = vbp_caller_new(VBP_USER_ADMIN);
    GPid daemon = f->vb.daemon_pid;

    /* While polkitd runs, nobody reads and admin changes. */
    g_autoptr(GVariant) r1 = vbp_call_ok(nobody, t->domain_path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    g_autoptr(GVariant) r2 = vbp_call_ok(nobody, t->domain_path, VB_IFACE_PROPERTIES, "Get",
                                         g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
    g_autoptr(GVariant) r3 = vbp_call_ok(admin, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_autoptr(GVariant) r4 = vbp_call_ok(admin, t->domain_path, VB_IFACE_DOMAIN, "Resume", NULL);

    vbp_polkit_stop(f->polkit);

    /* Every change is refused, naming its action and saying polkit is not
     * available; even for the member of group libvirt, whose rule polkit
     * would have applied. */
    walk_changes_refused(f, nobody, t, TRUE);
    g_autoptr(VbpReply) a = vbp_call_err(admin, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL,
                                         VBP_DBUS_ACCESS_DENIED);
    g_assert_nonnull(strstr(a->error_message, "not available"));
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_RUNNING);

    /* What we observe for reads: virtbusd forgets every cached verdict when
     * polkit's name changes owner (a new polkitd may have other rules), and
     * property reads and GetState need domain.getattr like any call, so
     * without polkitd they are refused too (fail closed), even for a caller
     * who read the same property a moment before. Connect properties are
     * answered without any check, so they are still served. */
    g_autoptr(VbpReply) get = vbp_call_err(nobody, t->domain_path, VB_IFACE_PROPERTIES, "Get",
                                           g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"), VBP_DBUS_ACCESS_DENIED);
    g_assert_nonnull(strstr(get->error_message, "not available"));
    g_autoptr(VbpReply) st = vbp_call_err(nobody, t->domain_path, VB_IFACE_DOMAIN, "GetState",
                                          g_variant_new("(u)", 0), VBP_DBUS_ACCESS_DENIED);
    g_autoptr(VbpReply) list = vbp_call_err(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                            g_variant_new("(u)", 0), VBP_DBUS_ACCESS_DENIED);
    g_autoptr(VbpReply) hostname = vbp_caller_call(nobody, VB_TEST_PATH, VB_IFACE_PROPERTIES, "Get",
                                                   g_variant_new("(ss)", VB_IFACE_CONNECT, "Hostname"), FALSE);
    g_autofree gchar *hd = vbp_reply_describe(hostname);
    note("Connect.Hostname read by nobody with polkitd stopped: %s", hd);

    /* root needs no polkit. */
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) r5 = vb_call_ok(&f->vb, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL, "()");
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) r6 = vb_call_ok(&f->vb, t->domain_path, VB_IFACE_DOMAIN, "Resume", NULL, "()");

    /* polkitd again: the same virtbusd and the same callers work again. */
    vbp_polkit_start(f->polkit);
    g_assert_true(vb_daemon_alive(&f->vb));
    g_assert_cmpint(f->vb.daemon_pid, ==, daemon);
    g_autoptr(GVariant) r7 = vbp_call_ok(nobody, t->domain_path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    g_autoptr(GVariant) r8 = vbp_call_ok(nobody, t->domain_path, VB_IFACE_PROPERTIES, "Get",
                                         g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
    g_autoptr(VbpReply) again = vbp_call_err(nobody, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL,
                                             VBP_DBUS_INTERACTIVE);
    g_assert_null(strstr(again->error_message, "not available"));
    g_autoptr(GVariant) r9 = vbp_call_ok(admin, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) r10 = vbp_call_ok(admin, t->domain_path, VB_IFACE_DOMAIN, "Resume", NULL);
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_RUNNING);
}

/* ---- a rule added while virtbusd runs ---------------------------------------------------- */

static gchar *
alice_suspend_rule(const char *result)
{
    return g_strdup_printf("polkit.addRule(function(action, subject) {\n"
                           "    if (subject.user == \"" VBP_USER_ALICE "\" &&\n"
                           "        action.id == \"" ACTION_PREFIX "domain.suspend\")\n"
                           "        return polkit.Result.%s;\n"
                           "});\n",
                           result);
}

static void
test_rule_change_flushes_cache(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, "rules-1", TRUE);
    g_autofree gchar *deny = alice_suspend_rule("NO");
    g_autofree gchar *allow = alice_suspend_rule("YES");

    /* A definite no, which virtbusd keeps for this caller. */
    vbp_polkit_set_rule(f->polkit, "30-deny-alice.rules", deny);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpReply) no1 = vbp_call_err(alice, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL,
                                           VBP_DBUS_ACCESS_DENIED);
    g_autoptr(VbpReply) no2 = vbp_call_err(alice, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL,
                                           VBP_DBUS_ACCESS_DENIED);

    /* A rule added in front of it (polkitd reloads and says Changed): the
     * same caller's next call is allowed. */
    vbp_polkit_set_rule(f->polkit, "20-allow-alice.rules", allow);
    g_autoptr(GVariant) yes = vbp_call_ok(alice, t->domain_path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_PAUSED);

    /* And removed again: the cached yes goes too (Resume is domain.suspend). */
    vbp_polkit_remove_rule(f->polkit, "20-allow-alice.rules");
    g_autoptr(VbpReply) no3 = vbp_call_err(alice, t->domain_path, VB_IFACE_DOMAIN, "Resume", NULL,
                                           VBP_DBUS_ACCESS_DENIED);
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_PAUSED);
}

/* ---- a slow polkit --------------------------------------------------------------------- */

static void
test_slow_polkit(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, "slow-1", TRUE);
    g_autofree gchar *marker = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "slow-started", NULL);
    /* alice's Reset takes polkit two seconds to judge; the rule leaves a
     * marker when it starts. */
    g_autofree gchar *rule = g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user == \"" VBP_USER_ALICE "\" &&\n"
        "        action.id == \"" ACTION_PREFIX "domain.reset\") {\n"
        "        polkit.spawn([\"/bin/sh\", \"-c\", \"touch '%s'; sleep 2\"]);\n"
        "        return polkit.Result.NO;\n"
        "    }\n"
        "});\n",
        marker);
    vbp_polkit_set_rule(f->polkit, "30-slow.rules", rule);

    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    /* nobody has looked at this domain before (its verdict is known). */
    g_autoptr(GVariant) warm = vbp_call_ok(nobody, t->domain_path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));

    vbp_caller_send(alice, t->domain_path, VB_IFACE_DOMAIN, "Reset", g_variant_new("(u)", 0), FALSE);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!g_file_test(marker, G_FILE_TEST_EXISTS)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(10000);
    }

    /* alice's question is with polkit now: cheap calls of others go on. */
    g_autoptr(GVariant) cheap = vbp_call_ok(nobody, t->domain_path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    g_assert_false(vbp_caller_reply_ready(alice));
    g_autoptr(GVariant) props = vbp_call_ok(nobody, t->domain_path, VB_IFACE_PROPERTIES, "GetAll",
                                            g_variant_new("(s)", VB_IFACE_DOMAIN));
    g_assert_false(vbp_caller_reply_ready(alice));
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) rootlist = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                              g_variant_new("(u)", 0), "(ao)");
    g_assert_false(vbp_caller_reply_ready(alice));

    /* Not asserted, only noted: a caller nothing is cached for needs polkit
     * itself, and polkitd (122) runs rules, polkit.spawn() included, on its
     * main loop: such a call waits for alice's rule in polkitd, not in
     * virtbusd. */
    {
        g_autoptr(VbpCaller) fresh = vbp_caller_new(VBP_USER_NOBODY);
        g_autoptr(GVariant) r = vbp_call_ok(fresh, t->domain_path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
        note("a new caller's GetState (which asks polkit) completed %s alice's slow check ended",
             vbp_caller_reply_ready(alice) ? "after" : "before");
    }
    g_autoptr(VbpReply) slow = vbp_caller_wait(alice);
    g_assert_cmpstr(slow->error_name, ==, VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *action = vbp_reply_action(slow);
    g_assert_cmpstr(action, ==, ACTION_PREFIX "domain.reset");
}

/* ---- root --------------------------------------------------------------------------------- */

/* A host with more domains than the bus lets one connection wait for
 * replies (128): a new unprivileged caller's list needs a verdict for every
 * domain, and must still be complete, for every caller, at once. */
static void
test_many_domains(VbpFixture *f)
{
    enum { N = 300 };

    /* One hidden domain in every ten, to check the answers are per domain. */
    vbp_polkit_set_rule(f->polkit, "40-hide.rules",
                        "polkit.addRule(function(action, subject) {\n"
                        "    var name = action.lookup(\"domain_name\") || \"\";\n"
                        "    if (action.id == \"" ACTION_PREFIX "domain.getattr\" &&\n"
                        "        name.indexOf(\"hidden-\") == 0)\n"
                        "        return polkit.Result.NO;\n"
                        "});\n");
    for (int i = 0; i < N; i++) {
        g_autofree gchar *name = g_strdup_printf("%s-%03d", i % 10 == 0 ? "hidden" : "many", i);
        g_autofree gchar *path = vb_define_domain(&f->vb, name);
    }
    for (int round = 0; round < 2; round++) {
        g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
        g_autoptr(GVariant) list = vbp_call_ok(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                               g_variant_new("(u)", 0));
        g_autoptr(GVariant) paths = g_variant_get_child_value(list, 0);
        /* N defined, a tenth hidden, plus the driver's own "test". */
        g_assert_cmpuint(g_variant_n_children(paths), ==, N - N / 10 + 1);
        g_autoptr(GVariant) objects = vbp_call_ok(nobody, ROOT_PATH, IFACE_OBJECT_MANAGER, "GetManagedObjects",
                                                  NULL);
        g_autoptr(GVariant) map = g_variant_get_child_value(objects, 0);
        /* The same domains and the connection object. */
        g_assert_cmpuint(g_variant_n_children(map), ==, N - N / 10 + 1 + 1);
        g_autoptr(VbpReply) hidden = vbp_call_err(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                                  g_variant_new("(s)", "hidden-010"), VB_ERR_NO_DOMAIN);
        g_autoptr(GVariant) shown = vbp_call_ok(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                                g_variant_new("(s)", "many-011"));
    }
}

static void
test_root_needs_no_polkit(VbpFixture *f)
{
    vbp_polkit_set_rule(f->polkit, "00-deny-all.rules",
                        "polkit.addRule(function(action, subject) {\n"
                        "    if (action.id.indexOf(\"" ACTION_PREFIX "\") == 0)\n"
                        "        return polkit.Result.NO;\n"
                        "});\n");
    /* The rule is in force: nobody can neither list nor see a domain. */
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    g_autofree gchar *test_path = vb_domain_path(&f->vb, VB_TEST_DOMAIN_NAME);
    g_autoptr(VbpReply) n1 = vbp_call_err(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                          g_variant_new("(u)", 0), VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *n1a = vbp_reply_action(n1);
    g_assert_cmpstr(n1a, ==, ACTION_PREFIX "connect.search-domains");
    g_autoptr(VbpReply) n2 = vbp_call_err(nobody, test_path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0),
                                          VB_DBUS_UNKNOWN_OBJECT);

    /* root (the fixture's own connection) does everything. */
    g_auto(GStrv) doms = vb_list_domains(&f->vb, 0);
    g_assert_true(g_strv_contains((const gchar *const *)doms, test_path));
    g_autofree gchar *path = vb_define_domain(&f->vb, "root-1");
    g_autoptr(GVariant) a = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    g_assert_cmpint(root_state(f, path), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) b = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Suspend", NULL, "()");
    g_assert_cmpint(root_state(f, path), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) c = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Resume", NULL, "()");
    g_autoptr(GVariant) d = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 1), "(s)");
    g_autoptr(GVariant) e = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0), "()");
    g_assert_cmpint(root_state(f, path), ==, VIR_DOMAIN_SHUTOFF);
    g_autoptr(GError) err = vb_set_property(&f->vb, path, VB_IFACE_DOMAIN, "Autostart", g_variant_new_boolean(TRUE));
    g_assert_no_error(err);
    g_assert_true(vb_get_bool(&f->vb, path, VB_IFACE_DOMAIN, "Autostart"));
    g_autoptr(GVariant) g = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0), "()");
    g_auto(GStrv) after = vb_list_domains(&f->vb, 0);
    g_assert_false(g_strv_contains((const gchar *const *)after, path));
}

/* ---- each row's action is the one checked ----------------------------------------------------- */

static gchar *
alice_rule_deny_only(const char *action)
{
    return g_strdup_printf("polkit.addRule(function(action, subject) {\n"
                           "    if (subject.user != \"" VBP_USER_ALICE "\" ||\n"
                           "        action.id.indexOf(\"" ACTION_PREFIX "\") != 0)\n"
                           "        return polkit.Result.NOT_HANDLED;\n"
                           "    return action.id == \"%s\" ? polkit.Result.NO : polkit.Result.YES;\n"
                           "});\n",
                           action);
}

static gchar *
alice_rule_allow_only(const char *action)
{
    return g_strdup_printf("polkit.addRule(function(action, subject) {\n"
                           "    if (subject.user != \"" VBP_USER_ALICE "\" ||\n"
                           "        action.id.indexOf(\"" ACTION_PREFIX "\") != 0)\n"
                           "        return polkit.Result.NOT_HANDLED;\n"
                           "    return (action.id == \"%s\" || action.id == \"" ACTION_PREFIX "domain.getattr\")\n"
                           "        ? polkit.Result.YES : polkit.Result.NO;\n"
                           "});\n",
                           action);
}

/* For every action of the table, a rule that denies alice exactly that
 * action (and allows her every other one) makes every row of that action
 * refused, naming it; a rule that allows her only that action (and
 * domain.getattr, without which no domain is visible) lets every row of that
 * action through. Together: the daemon checks the action the table says,
 * and only that. */
static void
test_table_actions_exact(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = vbp_table_load();
    g_autoptr(GArray) checks = table_checks(rows);
    g_autoptr(GPtrArray) actions = g_ptr_array_new();
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0, calls = 0;

    for (guint i = 0; i < checks->len; i++) {
        Check *c = &g_array_index(checks, Check, i);
        gboolean seen = FALSE;
        for (guint j = 0; j < actions->len; j++)
            seen = seen || g_str_equal(g_ptr_array_index(actions, j), c->action);
        if (!seen)
            g_ptr_array_add(actions, (gpointer)c->action);
    }

    for (guint a = 0; a < actions->len; a++) {
        const char *action = g_ptr_array_index(actions, a);
        gboolean domain_getattr = g_str_equal(action, ACTION_PREFIX "domain.getattr");

        /* Denied exactly this action. */
        g_autofree gchar *deny = alice_rule_deny_only(action);
        vbp_polkit_set_rule(f->polkit, "40-alice.rules", deny);
        g_autofree gchar *name1 = g_strdup_printf("exact-deny-%u", a);
        g_autoptr(Target) t1 = target_new(f, name1, TRUE);
        g_autoptr(VbpCaller) alice1 = vbp_caller_new(VBP_USER_ALICE);
        for (guint i = 0; i < checks->len; i++) {
            Check *c = &g_array_index(checks, Check, i);
            if (!g_str_equal(c->action, action))
                continue;
            g_autoptr(VbpReply) r = row_call(alice1, t1, c->row, c->use_flag);
            g_autofree gchar *label = row_label(c->row, c->use_flag);
            g_autofree gchar *named = vbp_reply_action(r);
            g_autofree gchar *d = vbp_reply_describe(r);
            const char *want;
            gboolean ok;
            calls++;
            if (domain_getattr && !g_str_equal(c->row->interface, VB_IFACE_CONNECT)) {
                want = "UnknownObject (the domain is hidden)";
                ok = g_strcmp0(r->error_name, VB_DBUS_UNKNOWN_OBJECT) == 0;
            } else if (domain_getattr && g_str_has_prefix(c->row->member, "DomainLookupBy")) {
                want = "NoDomain (the domain is hidden)";
                ok = g_strcmp0(r->error_name, VB_ERR_NO_DOMAIN) == 0;
            } else {
                want = "AccessDenied naming it";
                ok = g_strcmp0(r->error_name, VBP_DBUS_ACCESS_DENIED) == 0 && g_strcmp0(named, action) == 0;
            }
            if (!ok) {
                g_string_append_printf(problems, "\n  %s with only %s denied: expected %s, got %s", label,
                                       action, want, d);
                count++;
            }
        }
        if (g_str_equal(action, ACTION_PREFIX "connect.search-domains")) {
            /* "GetManagedObjects needs connect.search-domains, like
             * ListDomains" */
            g_autoptr(VbpReply) r = vbp_caller_call(alice1, ROOT_PATH, IFACE_OBJECT_MANAGER, "GetManagedObjects",
                                                    NULL, FALSE);
            g_autofree gchar *d = vbp_reply_describe(r);
            g_autofree gchar *named = r->error_message ? g_strdup(r->error_message) : NULL;
            if (r->ok || g_strcmp0(r->error_name, VBP_DBUS_ACCESS_DENIED) != 0 ||
                !named || !strstr(named, action)) {
                g_string_append_printf(problems, "\n  GetManagedObjects with connect.search-domains denied: "
                                       "expected AccessDenied naming it, got %s", d);
                count++;
            }
        }

        /* Allowed only this action (and domain.getattr). */
        g_autofree gchar *allow = alice_rule_allow_only(action);
        vbp_polkit_set_rule(f->polkit, "40-alice.rules", allow);
        g_autofree gchar *name2 = g_strdup_printf("exact-allow-%u", a);
        g_autoptr(Target) t2 = target_new(f, name2, TRUE);
        g_autoptr(VbpCaller) alice2 = vbp_caller_new(VBP_USER_ALICE);
        for (guint i = 0; i < checks->len; i++) {
            Check *c = &g_array_index(checks, Check, i);
            if (!g_str_equal(c->action, action))
                continue;
            g_autoptr(VbpReply) r = row_call(alice2, t2, c->row, c->use_flag);
            g_autofree gchar *label = row_label(c->row, c->use_flag);
            calls++;
            if (vbp_reply_is_refusal(r) || g_strcmp0(r->error_name, VB_DBUS_UNKNOWN_OBJECT) == 0 ||
                (g_str_has_prefix(c->row->member, "DomainLookupBy") && !r->ok)) {
                g_autofree gchar *d = vbp_reply_describe(r);
                g_string_append_printf(problems, "\n  %s with only %s (and domain.getattr) allowed: %s", label,
                                       action, d);
                count++;
            }
        }
    }
    g_test_message("%u actions, %u calls", actions->len, calls);
    fail_with_problems(problems, count, "rows whose documented action is not the one the daemon checks");
}

/* ---- the details polkit gets ---------------------------------------------------------------------- */

/* Records, for alice, every check's action and details in a file, and
 * allows it. */
static gchar *
recording_rule(const char *log)
{
    return g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user != \"" VBP_USER_ALICE "\" || action.id.indexOf(\"" ACTION_PREFIX "\") != 0)\n"
        "        return polkit.Result.NOT_HANDLED;\n"
        "    var line = action.id;\n"
        "    var keys = [\"connect_driver\", \"domain_name\", \"domain_uuid\", \"verb\"];\n"
        "    for (var i = 0; i < keys.length; i++)\n"
        "        line += \" \" + keys[i] + \"=\" + action.lookup(keys[i]);\n"
        "    polkit.spawn([\"/bin/sh\", \"-c\", \"printf '%%s\\\\n' \\\"$1\\\" >> '%s'\", \"sh\", line]);\n"
        "    return polkit.Result.YES;\n"
        "});\n",
        log);
}

static void
expect_logged(const char *log, const char *line, GString *problems, guint *count)
{
    g_autofree gchar *text = NULL;
    g_file_get_contents(log, &text, NULL, NULL);
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    if (g_strv_contains((const gchar *const *)lines, line))
        return;
    /* What was asked about the same action instead. */
    g_autofree gchar *action = g_strndup(line, strcspn(line, " "));
    g_autoptr(GString) seen = g_string_new(NULL);
    for (gchar **l = lines; *l; l++)
        if (g_str_has_prefix(*l, action) && (*l)[strlen(action)] == ' ')
            g_string_append_printf(seen, "\n      %s", *l);
    g_string_append_printf(problems, "\n  expected check: %s\n    checks seen for %s:%s", line, action,
                           seen->len ? seen->str : " none");
    (*count)++;
}

/* The details of docs/authorization.md, "Details passed to polkit":
 * connect_driver is what virConnectGetType() says (TEST for the test
 * driver), domain_name and domain_uuid name the domain, verb the member
 * called (for a property, the property). */
static void
test_check_details(VbpFixture *f)
{
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "checks.log", NULL);
    g_autofree gchar *rule = recording_rule(log);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0;

    vbp_polkit_set_rule(f->polkit, "40-record.rules", rule);
    g_autofree gchar *web = vb_define_domain(&f->vb, "web-1");
    g_autofree gchar *uuid = string_property(f, web, VB_IFACE_DOMAIN, "UUID");

    /* A property read first, by a caller that has asked nothing yet. */
    {
        g_autoptr(VbpCaller) reader = vbp_caller_new(VBP_USER_ALICE);
        g_autoptr(GVariant) n = vbp_call_ok(reader, web, VB_IFACE_PROPERTIES, "Get",
                                            g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
        g_autofree gchar *l0 = g_strdup_printf(ACTION_PREFIX "domain.getattr connect_driver=TEST domain_name=web-1 "
                                               "domain_uuid=%s verb=Name", uuid);
        expect_logged(log, l0, problems, &count);
    }

    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(GVariant) a = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    g_autofree gchar *l1 = g_strdup_printf(ACTION_PREFIX "domain.start connect_driver=TEST domain_name=web-1 "
                                           "domain_uuid=%s verb=Create", uuid);
    expect_logged(log, l1, problems, &count);

    g_autoptr(GVariant) b = vbp_call_ok(alice, web, VB_IFACE_PROPERTIES, "Set",
                                        g_variant_new("(ssv)", VB_IFACE_DOMAIN, "Autostart",
                                                      g_variant_new_boolean(TRUE)));
    g_autofree gchar *l2 = g_strdup_printf(ACTION_PREFIX "domain.write connect_driver=TEST domain_name=web-1 "
                                           "domain_uuid=%s verb=Autostart", uuid);
    expect_logged(log, l2, problems, &count);

    g_autoptr(GVariant) c = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0));
    expect_logged(log, ACTION_PREFIX "connect.search-domains connect_driver=TEST domain_name=undefined "
                  "domain_uuid=undefined verb=ListDomains", problems, &count);

    /* A domain defined from XML: its name and uuid come from the XML. */
    g_autofree gchar *xml = domain_xml_with_uuid("web-2", "1c8a3b5e-2f4d-4e6a-9b7c-0d1e2f3a4b5c");
    g_autoptr(GVariant) d = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                        g_variant_new("(s)", xml));
    expect_logged(log, ACTION_PREFIX "domain.write connect_driver=TEST domain_name=web-2 "
                  "domain_uuid=1c8a3b5e-2f4d-4e6a-9b7c-0d1e2f3a4b5c verb=DomainDefineXML", problems, &count);

    g_autofree gchar *log_text = NULL;
    g_file_get_contents(log, &log_text, NULL, NULL);
    g_test_message("checks recorded:\n%s", log_text ? log_text : "(none)");
    fail_with_problems(problems, count, "checks whose details differ from docs/authorization.md");
}

/* verb lets a rule tell apart members that need the same action (the docs'
 * Shutdown and Reboot, both init-control): a rule that allows Shutdown only
 * must still refuse Reboot after a Shutdown was allowed. */
static void
test_verb_rule(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, "verb-1", TRUE);
    vbp_polkit_set_rule(f->polkit, "40-verb.rules",
                        "polkit.addRule(function(action, subject) {\n"
                        "    if (subject.user == \"" VBP_USER_ALICE "\" &&\n"
                        "        action.id == \"" ACTION_PREFIX "domain.init-control\")\n"
                        "        return action.lookup(\"verb\") == \"Reboot\" ? polkit.Result.YES : polkit.Result.NO;\n"
                        "});\n");
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);

    g_autoptr(GVariant) a = vbp_call_ok(alice, t->domain_path, VB_IFACE_DOMAIN, "Reboot", g_variant_new("(u)", 0));
    g_autoptr(VbpReply) b = vbp_call_err(alice, t->domain_path, VB_IFACE_DOMAIN, "Shutdown", g_variant_new("(u)", 0),
                                         VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *ba = vbp_reply_action(b);
    g_assert_cmpstr(ba, ==, ACTION_PREFIX "domain.init-control");
    g_assert_cmpint(root_state(f, t->domain_path), ==, VIR_DOMAIN_RUNNING);
}

int
main(int argc, char **argv)
{
    vbp_caller_main_maybe(argc, argv);
    vbp_init(&argc, &argv);

    vbp_add("/polkit/table-covers-introspection", test_table_covers_introspection);
    vbp_add("/polkit/nobody-reads-properties", test_nobody_reads_properties);
    vbp_add("/polkit/nobody-read-methods", test_nobody_read_methods);
    vbp_add("/polkit/nobody-refused-changes", test_nobody_refused_changes);
    vbp_add("/polkit/libvirt-group-does-everything", test_libvirt_group_does_everything);
    vbp_add("/polkit/per-domain-rule", test_per_domain_rule);
    vbp_add("/polkit/interactive", test_interactive);
    vbp_add("/polkit/polkitd-stopped", test_polkitd_stopped);
    vbp_add("/polkit/rule-change-flushes-cache", test_rule_change_flushes_cache);
    vbp_add("/polkit/slow-polkit", test_slow_polkit);
    vbp_add("/polkit/root-needs-no-polkit", test_root_needs_no_polkit);
    vbp_add("/polkit/table-actions-exact", test_table_actions_exact);
    vbp_add("/polkit/check-details", test_check_details);
    vbp_add("/polkit/verb-rule", test_verb_rule);
    vbp_add("/polkit/many-domains", test_many_domains);

    int ret = vb_run();
    vbp_cleanup();
    return ret;
}
