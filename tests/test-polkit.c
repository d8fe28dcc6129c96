/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorization: every call is checked by a real polkitd for the real caller
 * (see polkit-harness.h for how polkitd and the callers run).
 *
 * The method table that `virtbusd --print-table` prints is the contract
 * these tests walk: every row and every permission of it, not a sample.
 * Where the daemon and a row disagree, a case fails and lists every row
 * that disagrees. Effects are checked against libvirt's own view: calls
 * that reach libvirt (GetAllDomainStats, GetXMLDesc, lists with flags only
 * libvirt can judge) and the files on disk.
 */
#include "polkit-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define IFACE_INTROSPECTABLE "org.freedesktop.DBus.Introspectable"
#define IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define ROOT_PATH "/org/libvirt"
#define ACTION_PREFIX "org.libvirt.dbus."
#define ACTION_MANAGE ACTION_PREFIX "manage"
#define ACTION_MONITOR ACTION_PREFIX "monitor"
#define DOMAIN_GETATTR ACTION_PREFIX "domain.getattr"
#define CPU_XML "<cpu><arch>x86_64</arch><model>qemu64</model></cpu>"

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

static gboolean
in_monitor_scope(const char *action)
{
    const char *perm = strrchr(action, '.') + 1;
    return g_str_equal(perm, "getattr") || g_str_equal(perm, "read") || g_str_has_prefix(perm, "search-");
}

/* ---- the table, as virtbusd prints it ----------------------------------------------- */

typedef enum {
    WHEN_ALWAYS,
    WHEN_FLAGS_ALL,     /* object:perm:A|B */
    WHEN_FLAGS_NONE,    /* object:perm:!A|B */
    WHEN_ARG,           /* object:perm::arg:VALUE */
} When;

typedef struct {
    gchar *text;        /* as printed */
    gchar *object;      /* libvirt's spelling: storage_pool */
    gchar *perm;        /* read_secure */
    gchar *action;      /* org.libvirt.dbus.<object>.<perm> */
    When when;
    guint64 value;      /* the flags, or the argument's value */
    gchar *arg;
} Term;

typedef struct {
    gchar *sig;
    gchar *name;
} Arg;

typedef struct {
    gchar *iface;
    gchar *member;
    gchar *kind;        /* method, property-get, property-set */
    GPtrArray *in;      /* Arg */
    GPtrArray *perms;   /* Term */
    Term *filter;
    gchar *checks;
    gboolean change;
} Row;

/* The flags libvirt's permissions depend on, by name (every one
 * tests/data/libvirt-acl.tsv names). */
static const struct {
    const char *name;
    guint64 value;
} flag_names[] = {
#define FLAG(f) { #f, (guint64)(f) }
    FLAG(VIR_DOMAIN_AFFECT_CONFIG),
    FLAG(VIR_DOMAIN_AFFECT_LIVE),
    FLAG(VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT),
    FLAG(VIR_DOMAIN_REBOOT_GUEST_AGENT),
    FLAG(VIR_DOMAIN_SHUTDOWN_GUEST_AGENT),
    FLAG(VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE),
    FLAG(VIR_DOMAIN_SNAPSHOT_XML_SECURE),
    FLAG(VIR_DOMAIN_VCPU_GUEST),
    FLAG(VIR_DOMAIN_XML_MIGRATABLE),
    FLAG(VIR_DOMAIN_XML_SECURE),
    FLAG(VIR_NETWORK_UPDATE_AFFECT_CONFIG),
    FLAG(VIR_NETWORK_UPDATE_AFFECT_LIVE),
#undef FLAG
};

/* "A|B" as a number. */
static guint64
flags_value(const char *names)
{
    g_auto(GStrv) parts = g_strsplit(names, "|", -1);
    guint64 v = 0;
    for (gchar **p = parts; *p; p++) {
        gsize i;
        for (i = 0; i < G_N_ELEMENTS(flag_names); i++)
            if (g_str_equal(flag_names[i].name, *p))
                break;
        if (i == G_N_ELEMENTS(flag_names))
            g_error("the table names flag %s, which this test does not know: add it to flag_names", *p);
        v |= flag_names[i].value;
    }
    return v;
}

static Term *
term_parse(const char *text)
{
    Term *t = g_new0(Term, 1);
    g_auto(GStrv) parts = g_strsplit(text, ":", 3);

    if (!parts[0] || !parts[1])
        g_error("malformed permission %s", text);
    t->text = g_strdup(text);
    t->object = g_strdup(parts[0]);
    t->perm = g_strdup(parts[1]);
    t->action = g_strdelimit(g_strdup_printf(ACTION_PREFIX "%s.%s", parts[0], parts[1]), "_", '-');
    if (!parts[2]) {
        t->when = WHEN_ALWAYS;
    } else if (parts[2][0] == ':') {
        g_auto(GStrv) av = g_strsplit(parts[2] + 1, ":", 2);
        t->when = WHEN_ARG;
        t->arg = g_strdup(av[0]);
        t->value = flags_value(av[1]);
    } else if (parts[2][0] == '!') {
        t->when = WHEN_FLAGS_NONE;
        t->value = flags_value(parts[2] + 1);
    } else {
        t->when = WHEN_FLAGS_ALL;
        t->value = flags_value(parts[2]);
    }
    return t;
}

static void
term_free(gpointer p)
{
    Term *t = p;
    if (!t)
        return;
    g_free(t->text);
    g_free(t->object);
    g_free(t->perm);
    g_free(t->action);
    g_free(t->arg);
    g_free(t);
}

static void
arg_free(gpointer p)
{
    Arg *a = p;
    g_free(a->sig);
    g_free(a->name);
    g_free(a);
}

static void
row_free(gpointer p)
{
    Row *r = p;
    g_free(r->iface);
    g_free(r->member);
    g_free(r->kind);
    g_ptr_array_unref(r->in);
    g_ptr_array_unref(r->perms);
    term_free(r->filter);
    g_free(r->checks);
    g_free(r);
}

/* Every row but the signals' (broadcast: nothing is asked for them). */
static GPtrArray *
table_load(void)
{
    const char *virtbusd = g_getenv("VIRTBUSD");
    const char *argv[] = { virtbusd, "--print-table", NULL };
    g_autoptr(GError) error = NULL;
    g_autofree gchar *out = NULL;
    int status;
    GPtrArray *rows = g_ptr_array_new_with_free_func(row_free);

    g_assert_nonnull(virtbusd);
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
                      &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("%s --print-table: %s", virtbusd, error->message);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (gchar **l = lines; *l; l++) {
        if (!**l || **l == '#')
            continue;
        g_auto(GStrv) c = g_strsplit(*l, "\t", -1);
        if (g_strv_length(c) != 9)
            g_error("--print-table: malformed line %s", *l);
        if (g_str_equal(c[2], "signal"))
            continue;
        /* A job exists only while an operation runs, and Cancel needs the
         * permission of that operation: test-job-polkit walks these. */
        if (g_str_equal(c[0], "org.libvirt.Job"))
            continue;
        Row *r = g_new0(Row, 1);
        r->iface = g_strdup(c[0]);
        r->member = g_strdup(c[1]);
        r->kind = g_strdup(c[2]);
        r->in = g_ptr_array_new_with_free_func(arg_free);
        if (g_str_equal(c[2], "method") && *c[3]) {
            g_auto(GStrv) args = g_strsplit(c[3], ", ", -1);
            for (gchar **a = args; *a; a++) {
                const char *sp = strrchr(*a, ' ');
                Arg *arg = g_new0(Arg, 1);
                arg->sig = g_strndup(*a, (gsize)(sp - *a));
                arg->name = g_strdup(sp + 1);
                g_ptr_array_add(r->in, arg);
            }
        }
        if (g_str_equal(c[2], "property-set")) {
            Arg *arg = g_new0(Arg, 1);
            arg->sig = g_strdup(c[4]);
            arg->name = g_strdup("value");
            g_ptr_array_add(r->in, arg);
        }
        r->perms = g_ptr_array_new_with_free_func(term_free);
        if (*c[5]) {
            g_auto(GStrv) terms = g_strsplit(c[5], " + ", -1);
            for (gchar **t = terms; *t; t++)
                g_ptr_array_add(r->perms, term_parse(*t));
        }
        r->filter = *c[6] ? term_parse(c[6]) : NULL;
        r->checks = g_strdup(c[7]);
        r->change = g_str_equal(c[8], "change");
        g_ptr_array_add(rows, r);
    }
    g_assert_cmpuint(rows->len, >, 50);
    return rows;
}

static gchar *
row_label(const Row *r)
{
    return g_strdup_printf("%s.%s (%s)", r->iface, r->member, r->kind);
}

/* Whether a check of the row of kind @check ("host-path", "xml",
 * "names-domain"...) applies to argument @arg. The printed checks are
 * "kind:arg" or "kind:arg:FLAGS". */
static gboolean
row_checks(const Row *r, const char *arg, const char *check)
{
    g_auto(GStrv) checks = g_strsplit(r->checks, " ", -1);
    for (gchar **c = checks; *c; c++) {
        g_auto(GStrv) parts = g_strsplit(*c, ":", 3);
        if (parts[0] && parts[1] && g_str_equal(parts[1], arg) &&
            (g_str_equal(parts[0], check) || (g_str_equal(check, "names-") && g_str_has_prefix(parts[0], check))))
            return TRUE;
    }
    return FALSE;
}

/* ---- kinds of object ---------------------------------------------------------------- */

typedef enum {
    K_CONNECT,
    K_DOMAIN,
    K_NETWORK,
    K_POOL,
    K_VOL,
    K_SECRET,
    K_NODEDEV,
    K_IFACE,
    K_NWFILTER,
    K_MAX
} Kind;

static const struct {
    const char *object;     /* libvirt's name, as the table writes it */
    const char *iface;      /* the interface of its objects */
    const char *name;       /* for test paths */
    const char *missing;    /* what a hidden or missing one answers */
    gboolean libvirtd;      /* libvirt's test driver lacks it: made on the private libvirtd */
} kinds[K_MAX] = {
    [K_CONNECT] = { "connect", VB_IFACE_CONNECT, "connect", NULL, FALSE },
    [K_DOMAIN] = { "domain", VB_IFACE_DOMAIN, "domain", VB_ERR_NO_DOMAIN, FALSE },
    [K_NETWORK] = { "network", "org.libvirt.Network", "network", VB_ERROR_PREFIX "NoNetwork", FALSE },
    [K_POOL] = { "storage_pool", "org.libvirt.StoragePool", "storage-pool", VB_ERROR_PREFIX "NoStoragePool", FALSE },
    [K_VOL] = { "storage_vol", "org.libvirt.StorageVol", "storage-vol", VB_ERROR_PREFIX "NoStorageVol", FALSE },
    [K_SECRET] = { "secret", "org.libvirt.Secret", "secret", VB_ERROR_PREFIX "NoSecret", TRUE },
    [K_NODEDEV] = { "node_device", "org.libvirt.NodeDevice", "node-device", VB_ERROR_PREFIX "NoNodeDevice", FALSE },
    [K_IFACE] = { "interface", "org.libvirt.Interface", "interface", VB_ERROR_PREFIX "NoInterface", FALSE },
    [K_NWFILTER] = { "nwfilter", "org.libvirt.NWFilter", "nwfilter", VB_ERROR_PREFIX "NoNwfilter", TRUE },
};

#define QEMU_PATH "/org/libvirt/QEMU"

static Kind
kind_of_object(const char *object)
{
    g_autofree gchar *o = g_strdelimit(g_strdup(object), "-", '_');
    for (Kind k = 0; k < K_MAX; k++)
        if (g_str_equal(kinds[k].object, o))
            return k;
    g_error("no object of kind %s in test-polkit.c: teach it to make one", object);
}

static Kind
kind_of_iface(const char *iface)
{
    if (g_str_equal(iface, VB_IFACE_SNAPSHOT))
        return K_DOMAIN;
    for (Kind k = 0; k < K_MAX; k++)
        if (g_str_equal(kinds[k].iface, iface))
            return k;
    g_error("no object with interface %s in test-polkit.c: teach it to make one", iface);
}

/* The kind of object whose XML argument @arg is, by the row's check
 * "names-<object>:<arg>". */
static Kind
check_kind(const Row *r, const char *arg)
{
    g_auto(GStrv) checks = g_strsplit(r->checks, " ", -1);
    for (gchar **c = checks; *c; c++) {
        g_auto(GStrv) parts = g_strsplit(*c, ":", 3);
        if (g_str_has_prefix(parts[0], "names-") && parts[1] && g_str_equal(parts[1], arg))
            return kind_of_object(parts[0] + 6);
    }
    g_error("%s.%s: no object named by %s", r->iface, r->member, arg);
}

/* The kind of object a row is about: its object's, or for the connection
 * the kind it lists, makes or finds; K_CONNECT for the host itself. */
static Kind
row_kind(const Row *r)
{
    if (!g_str_equal(r->iface, VB_IFACE_CONNECT))
        return kind_of_iface(r->iface);
    if (r->filter)
        return kind_of_object(r->filter->object);
    g_auto(GStrv) checks = g_strsplit(r->checks, " ", -1);
    for (gchar **c = checks; *c; c++)
        if (g_str_has_prefix(*c, "names-")) {
            g_autofree gchar *object = g_strndup(*c + 6, strcspn(*c + 6, ":"));
            return kind_of_object(object);
        }
    for (guint i = 0; i < r->perms->len; i++) {
        const Term *t = g_ptr_array_index(r->perms, i);
        if (!g_str_equal(t->object, "connect"))
            return kind_of_object(t->object);
    }
    return K_CONNECT;
}

/* The action a caller needs to see the object the row is called on;
 * NULL for the connection. */
static const char *
visibility_of(const Row *r)
{
    static gchar *actions[K_MAX];
    Kind k = g_str_equal(r->iface, VB_IFACE_CONNECT) ? K_CONNECT : kind_of_iface(r->iface);

    if (k == K_CONNECT)
        return NULL;
    if (!actions[k])
        actions[k] = g_strdelimit(g_strdup_printf(ACTION_PREFIX "%s.getattr", kinds[k].object), "_", '-');
    return actions[k];
}

/* Lookups libvirt's test driver cannot make: they answer its NoSupport
 * before there is anything to hide, with any grants. */
static gboolean
lookup_unsupported(const Row *r)
{
    return g_str_equal(r->member, "NodeDeviceLookupSCSIHostByWWN");
}

/* What a call answers when @action is refused because it is about seeing
 * an object the call finds or names (a lookup, the source of a copy): that
 * object does not exist for the caller. NULL for any other action. */
static const char *
hidden_error(const Row *r, const char *action)
{
    Kind own = g_str_equal(r->iface, VB_IFACE_CONNECT) ? K_CONNECT : kind_of_iface(r->iface);
    for (guint i = 0; i < r->perms->len; i++) {
        const Term *t = g_ptr_array_index(r->perms, i);
        if (g_str_equal(t->action, action) && g_str_equal(t->perm, "getattr") &&
            kind_of_object(t->object) != own)
            return kinds[kind_of_object(t->object)].missing;
    }
    return NULL;
}

/* Whether the row finds an object (a lookup) or lists them: its answer
 * names the target when the caller may see it. */
static gboolean
row_shows(const Row *r)
{
    Kind own = g_str_equal(r->iface, VB_IFACE_CONNECT) ? K_CONNECT : kind_of_iface(r->iface);

    if (r->filter)
        return TRUE;
    if (!strstr(r->member, "Lookup"))
        return FALSE;
    for (guint i = 0; i < r->perms->len; i++) {
        const Term *t = g_ptr_array_index(r->perms, i);
        if (g_str_equal(t->perm, "getattr") && kind_of_object(t->object) != own)
            return TRUE;
    }
    return FALSE;
}

/* ---- settings of a row: the flags or argument that bring in a permission ---------- */
typedef struct {
    guint64 flags;
    const char *arg;    /* an argument set to argval, or NULL */
    guint64 argval;
} Setting;

static gboolean
term_applies(const Term *t, const Setting *s)
{
    switch (t->when) {
    case WHEN_ALWAYS: return TRUE;
    case WHEN_FLAGS_ALL: return (s->flags & t->value) == t->value;
    case WHEN_FLAGS_NONE: return (s->flags & t->value) == 0;
    case WHEN_ARG: return s->arg && g_str_equal(s->arg, t->arg) && s->argval == t->value;
    }
    return FALSE;
}

/* The actions the row needs under @s, without repeats, in the row's
 * order. */
static GPtrArray *
needed(const Row *r, const Setting *s)
{
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; i < r->perms->len; i++) {
        const Term *t = g_ptr_array_index(r->perms, i);
        gboolean dup = FALSE;
        if (!term_applies(t, s))
            continue;
        for (guint j = 0; j < a->len; j++)
            dup = dup || g_str_equal(g_ptr_array_index(a, j), t->action);
        if (!dup)
            g_ptr_array_add(a, t->action);
    }
    return a;
}

/* The base setting (flags 0), one per conditional permission that brings
 * it in, and for "unless" permissions one that leaves them out. */
static GArray *
settings_of(const Row *r)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(Setting));
    Setting base = { 0 };
    g_array_append_val(a, base);
    for (guint i = 0; i < r->perms->len; i++) {
        const Term *t = g_ptr_array_index(r->perms, i);
        Setting s = { 0 };
        if (t->when == WHEN_FLAGS_ALL) {
            s.flags = t->value;
        } else if (t->when == WHEN_ARG) {
            s.arg = t->arg;
            s.argval = t->value;
        } else if (t->when == WHEN_FLAGS_NONE) {
            /* Flags 0 bring it in (the base); one of its flags leaves it
             * out, and the call must then not ask for it. */
            s.flags = t->value & -t->value;
        } else {
            continue;
        }
        gboolean dup = FALSE;
        for (guint j = 0; j < a->len; j++) {
            Setting *o = &g_array_index(a, Setting, j);
            dup = dup || (o->flags == s.flags && o->arg == s.arg && o->argval == s.argval);
        }
        if (!dup)
            g_array_append_val(a, s);
    }
    return a;
}

static gchar *
setting_label(const Setting *s)
{
    if (s->arg)
        return g_strdup_printf("%s=%" G_GUINT64_FORMAT, s->arg, s->argval);
    return g_strdup_printf("flags=%" G_GUINT64_FORMAT, s->flags);
}


/* ---- what the calls are made on ------------------------------------------------------ */

/* The objects made by root for one row, on a fresh name each: the object
 * of the row's kind (a running domain with a snapshot and, for rows that
 * read one, a save image of another domain; a started network or pool; a
 * volume in a pool of its own; a vHBA; a host interface; a secret or a
 * network filter on the private libvirtd), and for pools a volume in them.
 * Every name begins with "vbw", which clean_host() removes. */
typedef struct {
    VbpFixture *f;
    Kind kind;
    guint n;
    guint serial;
    const char *conn;       /* the connection's object path */
    gchar *path;            /* the object of the row's kind */
    gchar *name;
    gchar *uuid;            /* or a volume's key */
    guint32 id;             /* a domain's */
    gchar *snapshot_name;
    gchar *snapshot_path;
    gchar *image;           /* a save image below the allowed directory */
    gchar *image_domain;
    gchar *pool_path;       /* a volume's pool */
    gchar *vol_path;        /* a pool's volume */
    gchar *vol_name;
    gchar *vol_key;
    gchar *vol_file;        /* its path on the host */
    gchar *mac;             /* a host interface's */
    gchar *wwnn, *wwpn;     /* a vHBA's */
    gchar *usage;           /* a secret's usage (a volume path) */
} Target;

static guint target_count;
/* The private libvirtd's URI, for secrets and network filters; NULL if it
 * is not there. */
static const char *libvirtd_uri;
static gchar *libvirtd_error;

static gchar *
string_property(VbpFixture *f, const char *path, const char *iface, const char *name)
{
    return vb_get_string(&f->vb, path, iface, name);
}

static void
root_call_quiet(VbpFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(&f->vb, path, iface, method, args, NULL, &error);
}

/* A method of root's that returns one object path. */
static gchar *
root_path(VbpFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(&f->vb, path, iface, method, args, "(o)");
    gchar *out = NULL;
    g_variant_get(r, "(o)", &out);
    return out;
}

static void
root_ok(VbpFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GVariant) r = vb_call_ok(&f->vb, path, iface, method, args, NULL);
}

/* The XML that makes a new object of kind @k named @name (@n makes what
 * must be unique on the host unique). */
static gchar *
object_xml(Kind k, const char *name, guint n)
{
    switch (k) {
    case K_DOMAIN:
        return vb_domain_xml(name);
    case K_NETWORK:
        return g_strdup_printf("<network><name>%s</name><bridge name='vbw%u'/></network>", name, n);
    case K_POOL:
        return g_strdup_printf("<pool type='dir'><name>%s</name><target><path>/%s</path></target></pool>", name,
                               name);
    case K_VOL:
        return g_strdup_printf("<volume><name>%s.img</name><capacity unit='M'>16</capacity></volume>", name);
    case K_SECRET:
        return g_strdup_printf("<secret ephemeral='no' private='no'><usage type='volume'><volume>/vbw/%s.img"
                               "</volume></usage></secret>", name);
    case K_NODEDEV:
        return g_strdup_printf("<device><parent>scsi_host1</parent><capability type='scsi_host'>"
                               "<capability type='fc_host'><wwnn>20000000%08x</wwnn><wwpn>10000000%08x</wwpn>"
                               "</capability></capability></device>", n, n);
    case K_IFACE:
        return g_strdup_printf("<interface type='ethernet' name='vbw%u'><start mode='onboot'/>"
                               "<mac address='52:54:00:%02x:%02x:%02x'/><protocol family='ipv4'><dhcp/></protocol>"
                               "</interface>", n, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    case K_NWFILTER:
        return g_strdup_printf("<filter name='%s' chain='root'><rule action='accept' direction='out' "
                               "priority='500'><all/></rule></filter>", name);
    case K_CONNECT:
    case K_MAX:
        break;
    }
    g_error("no XML for objects of kind %d", (int)k);
}

static void
make_volume(Target *t, const char *pool)
{
    VbpFixture *f = t->f;
    g_autofree gchar *xml = object_xml(K_VOL, t->name, t->n);
    t->vol_path = root_path(f, pool, kinds[K_POOL].iface, "StorageVolCreateXML", g_variant_new("(su)", xml, 0));
    t->vol_name = string_property(f, t->vol_path, kinds[K_VOL].iface, "Name");
    t->vol_key = string_property(f, t->vol_path, kinds[K_VOL].iface, "Key");
    t->vol_file = string_property(f, t->vol_path, kinds[K_VOL].iface, "Path");
}

static Target *
target_new(VbpFixture *f, Kind k, gboolean with_image)
{
    Target *t = g_new0(Target, 1);
    const char *iface = kinds[k].iface;

    t->f = f;
    t->kind = k;
    t->n = ++target_count;
    t->name = g_strdup_printf("vbw-%u", t->n);
    t->conn = VB_TEST_PATH;
    if (kinds[k].libvirtd) {
        if (!libvirtd_uri)
            g_error("objects of kind %s need the private libvirtd: %s", kinds[k].name,
                    libvirtd_error ? libvirtd_error : "not started");
        t->conn = QEMU_PATH;
    }
    g_autofree gchar *xml = k == K_CONNECT || k == K_VOL ? NULL : object_xml(k, t->name, t->n);
    switch (k) {
    case K_CONNECT:
        break;
    case K_DOMAIN: {
        t->path = vb_define_domain(&f->vb, t->name);
        root_ok(f, t->path, iface, "Create", g_variant_new("(u)", 0));
        t->uuid = string_property(f, t->path, iface, "UUID");
        g_autoptr(GVariant) id = vb_get_property(&f->vb, t->path, iface, "Id");
        t->id = g_variant_get_uint32(id);
        t->snapshot_name = g_strdup_printf("snap-%u", t->n);
        g_autofree gchar *snap = g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>",
                                                 t->snapshot_name);
        t->snapshot_path = root_path(f, t->path, iface, "SnapshotCreateXML", g_variant_new("(su)", snap, 0));
        if (with_image && f->allowed_dir) {
            /* root may name any file; the domain saved is left shut off. */
            t->image_domain = g_strdup_printf("%s-img", t->name);
            g_autofree gchar *ipath = vb_define_domain(&f->vb, t->image_domain);
            root_ok(f, ipath, iface, "Create", g_variant_new("(u)", 0));
            t->image = g_strdup_printf("%s/%s.img", f->allowed_dir, t->image_domain);
            root_ok(f, ipath, iface, "Save", g_variant_new("(ssu)", t->image, "", 0));
        }
        break;
    }
    case K_NETWORK:
        t->path = root_path(f, t->conn, VB_IFACE_CONNECT, "NetworkDefineXML", g_variant_new("(s)", xml));
        root_ok(f, t->path, iface, "Create", NULL);
        t->uuid = string_property(f, t->path, iface, "UUID");
        break;
    case K_POOL:
    case K_VOL: {
        g_autofree gchar *pool_name = g_strdup_printf("%s-%u", k == K_VOL ? "vbv" : "vbw", t->n);
        g_autofree gchar *pool_xml = object_xml(K_POOL, pool_name, t->n);
        gchar *pool = root_path(f, t->conn, VB_IFACE_CONNECT, "StoragePoolDefineXML",
                                g_variant_new("(su)", pool_xml, 0));
        root_ok(f, pool, kinds[K_POOL].iface, "Create", g_variant_new("(u)", 0));
        make_volume(t, pool);
        if (k == K_POOL) {
            t->path = pool;
            t->uuid = string_property(f, pool, iface, "UUID");
        } else {
            t->pool_path = pool;
            t->path = g_strdup(t->vol_path);
            g_free(t->name);
            t->name = g_strdup(t->vol_name);
            t->uuid = g_strdup(t->vol_key);
        }
        break;
    }
    case K_SECRET:
        t->path = root_path(f, t->conn, VB_IFACE_CONNECT, "SecretDefineXML", g_variant_new("(su)", xml, 0));
        t->uuid = string_property(f, t->path, iface, "UUID");
        t->usage = g_strdup_printf("/vbw/%s.img", t->name);
        break;
    case K_NODEDEV:
        t->path = root_path(f, t->conn, VB_IFACE_CONNECT, "NodeDeviceCreateXML", g_variant_new("(su)", xml, 0));
        g_free(t->name);
        t->name = string_property(f, t->path, iface, "Name");
        t->wwnn = g_strdup_printf("20000000%08x", t->n);
        t->wwpn = g_strdup_printf("10000000%08x", t->n);
        break;
    case K_IFACE:
        t->path = root_path(f, t->conn, VB_IFACE_CONNECT, "InterfaceDefineXML", g_variant_new("(su)", xml, 0));
        g_free(t->name);
        t->name = string_property(f, t->path, iface, "Name");
        t->mac = string_property(f, t->path, iface, "MAC");
        break;
    case K_NWFILTER:
        t->path = root_path(f, t->conn, VB_IFACE_CONNECT, "NWFilterDefineXML", g_variant_new("(s)", xml));
        t->uuid = string_property(f, t->path, iface, "UUID");
        break;
    case K_MAX:
        g_assert_not_reached();
    }
    return t;
}

static void
target_free(Target *t)
{
    g_free(t->path);
    g_free(t->name);
    g_free(t->uuid);
    g_free(t->snapshot_name);
    g_free(t->snapshot_path);
    g_free(t->image);
    g_free(t->image_domain);
    g_free(t->pool_path);
    g_free(t->vol_path);
    g_free(t->vol_name);
    g_free(t->vol_key);
    g_free(t->vol_file);
    g_free(t->mac);
    g_free(t->wwnn);
    g_free(t->wwpn);
    g_free(t->usage);
    g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Target, target_free)

/* Where a call of the row goes. */
static const char *
target_path(Target *t, const Row *r)
{
    if (g_str_equal(r->iface, VB_IFACE_CONNECT))
        return t->conn;
    if (g_str_equal(r->iface, VB_IFACE_SNAPSHOT))
        return t->snapshot_path;
    return t->path;
}

/* The object paths a list of @conn shows, by root. */
static GStrv
root_list(VbpFixture *f, const char *conn, const char *method)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(&f->vb, conn, VB_IFACE_CONNECT, method, g_variant_new("(u)", 0), "(ao)", &error);
    gchar **paths = NULL;
    if (!r)
        return g_new0(gchar *, 1);
    g_variant_get(r, "(^ao)", &paths);
    return paths;
}

/* Whether the object's @property begins with @prefix. */
static gboolean
named(VbpFixture *f, const char *path, const char *iface, const char *property, const char *prefix)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) v = vb_call(&f->vb, path, VB_IFACE_PROPERTIES, "Get", g_variant_new("(ss)", iface, property),
                                    "(v)", &error);
    g_autoptr(GVariant) inner = NULL;
    if (!v)
        return FALSE;
    g_variant_get(v, "(v)", &inner);
    return g_variant_is_of_type(inner, G_VARIANT_TYPE_STRING) &&
           g_str_has_prefix(g_variant_get_string(inner, NULL), prefix);
}

/* Removes what the walk made: every domain but the test driver's own,
 * and every file of the host directories. */
static void
clean_domains(VbpFixture *f)
{
    g_autoptr(GVariant) stats = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "GetAllDomainStats",
                                           g_variant_new("(uu)", VIR_DOMAIN_STATS_STATE, 0), "(a(sa{sv}))");
    g_autoptr(GVariant) records = g_variant_get_child_value(stats, 0);
    GVariantIter it;
    const char *name;
    g_variant_iter_init(&it, records);
    while (g_variant_iter_next(&it, "(&s@a{sv})", &name, NULL)) {
        g_autoptr(GError) error = NULL;
        if (g_str_equal(name, VB_TEST_DOMAIN_NAME))
            continue;
        g_autoptr(GVariant) found = vb_call(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                            g_variant_new("(s)", name), "(o)", &error);
        if (!found)
            continue;
        const char *path;
        g_variant_get(found, "(&o)", &path);
        root_call_quiet(f, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
        root_call_quiet(f, path, VB_IFACE_DOMAIN, "Undefine",
                        g_variant_new("(u)", VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                                 VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA));
    }
    const char *dirs[] = { f->allowed_dir, f->outside_dir };
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (!dirs[i])
            continue;
        g_autoptr(GDir) d = g_dir_open(dirs[i], 0, NULL);
        const char *e;
        while (d && (e = g_dir_read_name(d))) {
            g_autofree gchar *p = g_build_filename(dirs[i], e, NULL);
            unlink(p);
        }
    }
}

/* Removes the objects of @t's kind the walk made (whose names begin with
 * "vbw"; a volume's pool with "vbv"), and @t's vHBA. */
static void
clean_kind(VbpFixture *f, Target *t)
{
    static const struct {
        Kind kind;
        const char *list;
        const char *property;
        const char *prefix;
        gboolean destroy_flags;
    } lists[] = {
        { K_NETWORK, "ListNetworks", "Name", "vbw", FALSE },
        { K_POOL, "ListStoragePools", "Name", "vbw", FALSE },
        { K_VOL, "ListStoragePools", "Name", "vbv", FALSE },
        { K_IFACE, "ListInterfaces", "Name", "vbw", TRUE },
        { K_SECRET, "ListSecrets", "UsageID", "/vbw", FALSE },
        { K_NWFILTER, "ListNWFilters", "Name", "vbw", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(lists); i++) {
        const char *iface = kinds[lists[i].kind == K_VOL ? K_POOL : lists[i].kind].iface;
        if (lists[i].kind != t->kind)
            continue;
        g_auto(GStrv) paths = root_list(f, t->conn, lists[i].list);
        for (gchar **p = paths; *p; p++) {
            if (!named(f, *p, iface, lists[i].property, lists[i].prefix))
                continue;
            if (lists[i].kind != K_SECRET && lists[i].kind != K_NWFILTER)
                root_call_quiet(f, *p, iface, "Destroy", lists[i].destroy_flags ? g_variant_new("(u)", 0) : NULL);
            root_call_quiet(f, *p, iface, "Undefine", NULL);
        }
    }
    if (t->kind == K_NODEDEV)
        root_call_quiet(f, t->path, kinds[K_NODEDEV].iface, "Destroy", NULL);
}

/* Removes what rows about @t's kind of object made. */
static void
clean_host(VbpFixture *f, Target *t)
{
    if (t->kind == K_DOMAIN)
        clean_domains(f);
    else if (t->kind != K_CONNECT)
        clean_kind(f, t);
}

/* The targets of the rows walked, one per kind, made again after a row
 * that may have changed its own: rows that only read share them. */
typedef struct {
    VbpFixture *f;
    Target *t[K_MAX];
} Targets;

static Target *
targets_get(Targets *ts, const Row *r)
{
    Kind k = row_kind(r);
    if (!ts->t[k])
        ts->t[k] = target_new(ts->f, k, TRUE);
    return ts->t[k];
}

static void
targets_drop(Targets *ts, Kind k)
{
    if (!ts->t[k])
        return;
    clean_host(ts->f, ts->t[k]);
    g_clear_pointer(&ts->t[k], target_free);
}

/* After a row: a fresh target for the next one if @changed. */
static void
targets_after(Targets *ts, const Row *r, gboolean changed)
{
    if (changed)
        targets_drop(ts, row_kind(r));
}

static void
targets_clear(Targets *ts)
{
    for (Kind k = 0; k < K_MAX; k++)
        targets_drop(ts, k);
}

/* ---- libvirt's view --------------------------------------------------------------- */

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
append_sorted(GString *s, const char *what, gchar **items)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    for (gchar **p = items; p && *p; p++)
        g_ptr_array_add(sorted, *p);
    g_ptr_array_sort(sorted, compare_strings);
    g_string_append_printf(s, "%s:", what);
    for (guint i = 0; i < sorted->len; i++)
        g_string_append_printf(s, " %s", (char *)g_ptr_array_index(sorted, i));
    g_string_append_c(s, '\n');
}

static void
append_list(GString *s, VbpFixture *f, const char *what, guint flags)
{
    g_autoptr(GVariant) r = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                       g_variant_new("(u)", flags), "(ao)");
    g_auto(GStrv) paths = NULL;
    g_variant_get(r, "(^ao)", &paths);
    append_sorted(s, what, paths);
}

static void
append_dir(GString *s, const char *dir)
{
    g_autoptr(GDir) d = dir ? g_dir_open(dir, 0, NULL) : NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *e;
    while (d && (e = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(e));
    g_ptr_array_add(names, NULL);
    append_sorted(s, dir ? dir : "(no directory)", (gchar **)names->pdata);
}

/* A read of root's: its answer, or its error's name. */
static void
append_read(GString *s, VbpFixture *f, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = vb_call(&f->vb, path, iface, method, args, NULL, &error);
    if (r) {
        g_autofree gchar *text = g_variant_print(r, FALSE);
        g_string_append_printf(s, "%s %s: %s\n", path, method, text);
    } else {
        g_autofree gchar *name = vb_error_name(error);
        g_string_append_printf(s, "%s %s: %s\n", path, method, name);
    }
}

/* The signals received about objects of the connection at @conn: on
 * them, or naming them first (the ObjectManager's). */
static guint
signals_about(VbpFixture *f, const char *conn)
{
    guint n = 0;

    vb_process_events(&f->vb);
    for (guint i = 0; i < f->vb.signals->len; i++) {
        const VbSignal *sig = g_ptr_array_index(f->vb.signals, i);
        g_autoptr(GVariant) first = sig->params && g_variant_n_children(sig->params) > 0
                                        ? g_variant_get_child_value(sig->params, 0) : NULL;
        if (g_str_has_prefix(sig->path, conn) ||
            (first && g_variant_is_of_type(first, G_VARIANT_TYPE_OBJECT_PATH) &&
             g_str_has_prefix(g_variant_get_string(first, NULL), conn)))
            n++;
    }
    return n;
}

/* Waits until virtbusd's connection to the private libvirtd is up: its
 * objects are announced before Connected turns true. */
static void
wait_libvirtd(VbpFixture *f)
{
    if (!libvirtd_uri)
        return;
    for (;;) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) v = vb_call(&f->vb, QEMU_PATH, VB_IFACE_PROPERTIES, "Get",
                                        g_variant_new("(ss)", VB_IFACE_CONNECT, "Connected"), "(v)", &error);
        g_autoptr(GVariant) inner = NULL;
        g_assert_nonnull(v);
        g_variant_get(v, "(v)", &inner);
        if (g_variant_get_boolean(inner))
            return;
        if (!vb_wait_property_changed(&f->vb, QEMU_PATH, VB_IFACE_CONNECT, "Connected", NULL, 60000))
            g_error("virtbusd did not connect to the private libvirtd within a minute");
    }
}

/* What libvirt says about the host (not the daemon's tables): every domain
 * with its state, the persistent, autostarting and managed-saved ones
 * (list flags only libvirt can judge), the definition of the target and
 * what else libvirt reports about it (a domain's snapshots, a pool's or
 * volume's sizes and state, the active host interfaces, a secret's value),
 * the objects of its kind, and the files of the host directories. Also
 * the signals the daemon sent, which relay libvirt's events: the reads
 * before come back after any signal a change would cause. */
static gchar *
libvirt_view(VbpFixture *f, Target *t)
{
    GString *s = g_string_new(NULL);
    const guint ask_libvirt = VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE | VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE;

    g_autoptr(GVariant) stats = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "GetAllDomainStats",
                                           g_variant_new("(uu)", VIR_DOMAIN_STATS_STATE, 0), "(a(sa{sv}))");
    g_autoptr(GVariant) records = g_variant_get_child_value(stats, 0);
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; i < g_variant_n_children(records); i++) {
        g_autoptr(GVariant) rec = g_variant_get_child_value(records, i);
        g_ptr_array_add(lines, g_variant_print(rec, FALSE));
    }
    g_ptr_array_add(lines, NULL);
    append_sorted(s, "domains", (gchar **)lines->pdata);
    append_list(s, f, "persistent", VIR_CONNECT_LIST_DOMAINS_PERSISTENT | ask_libvirt);
    append_list(s, f, "autostart", VIR_CONNECT_LIST_DOMAINS_AUTOSTART | ask_libvirt);
    append_list(s, f, "managed save", VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE);
    if (t && t->kind == K_DOMAIN) {
        append_read(s, f, t->path, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 0));
        append_read(s, f, t->path, VB_IFACE_DOMAIN, "ListDomainSnapshots", g_variant_new("(u)", 0));
    } else if (t && t->kind != K_CONNECT) {
        const char *iface = kinds[t->kind].iface;
        append_read(s, f, t->path, iface, "GetXMLDesc", g_variant_new("(u)", 0));
        if (t->kind == K_POOL || t->kind == K_VOL)
            append_read(s, f, t->kind == K_POOL ? t->path : t->pool_path, kinds[K_POOL].iface, "GetInfo", NULL);
        if (t->vol_path)
            append_read(s, f, t->vol_path, kinds[K_VOL].iface, "GetInfo", g_variant_new("(u)", 0));
        if (t->kind == K_IFACE)
            append_read(s, f, t->conn, VB_IFACE_CONNECT, "ListInterfaces",
                        g_variant_new("(u)", VIR_CONNECT_LIST_INTERFACES_ACTIVE));
        if (t->kind == K_SECRET)
            append_read(s, f, t->path, iface, "GetValue", g_variant_new("(u)", 0));
        static const char *const list_of[K_MAX] = {
            [K_NETWORK] = "ListNetworks", [K_POOL] = "ListStoragePools", [K_VOL] = "ListStoragePools",
            [K_SECRET] = "ListSecrets", [K_NODEDEV] = "ListNodeDevices", [K_IFACE] = "ListInterfaces",
            [K_NWFILTER] = "ListNWFilters",
        };
        g_auto(GStrv) all = root_list(f, t->conn, list_of[t->kind]);
        append_sorted(s, list_of[t->kind], all);
    }
    append_dir(s, f->allowed_dir);
    append_dir(s, f->outside_dir);
    g_string_append_printf(s, "signals: %u\n", signals_about(f, t ? t->conn : VB_TEST_PATH));
    return g_string_free(s, FALSE);
}

/* The state libvirt reports for domain @name, or -1 if it has none. */
static gint
libvirt_state(VbpFixture *f, const char *name)
{
    g_autoptr(GVariant) stats = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "GetAllDomainStats",
                                           g_variant_new("(uu)", VIR_DOMAIN_STATS_STATE, 0), "(a(sa{sv}))");
    g_autoptr(GVariant) records = g_variant_get_child_value(stats, 0);
    for (gsize i = 0; i < g_variant_n_children(records); i++) {
        const char *n;
        g_autoptr(GVariant) params = NULL;
        g_variant_get_child(records, i, "(&s@a{sv})", &n, &params);
        if (!g_str_equal(n, name))
            continue;
        g_autoptr(GVariant) v = g_variant_lookup_value(params, "state.state", NULL);
        g_assert_nonnull(v);
        /* libvirt-dbus wraps each value of a{sv} once more. */
        while (g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
            GVariant *inner = g_variant_get_variant(v);
            g_variant_unref(v);
            v = inner;
        }
        return g_variant_get_int32(v);
    }
    return -1;
}

/* ---- callers with exactly the grants a check wants -------------------------------- */

/* Installs a rule that answers every org.libvirt.dbus.* question about a
 * process from the grants file named after its process ID: yes for the
 * actions listed, no for every other; processes without a file are left
 * to the other rules. The file is read once per process (it is written
 * before the process calls). A new caller per check: virtbusd remembers
 * verdicts per caller. */
static struct {
    VbpFixture *f;
    gchar *dir;
    GHashTable *pids;       /* of the callers given grants since the rule was loaded */
    guint generation;
} grant_rule;

static void
grants_load_rule(void)
{
    g_autofree gchar *rule = g_strdup_printf(
        "// generation %u\n"
        "var vbGrants = {};\n"
        "polkit.addRule(function(action, subject) {\n"
        "    if (action.id.indexOf(\"" ACTION_PREFIX "\") != 0)\n"
        "        return polkit.Result.NOT_HANDLED;\n"
        "    var granted = vbGrants[subject.pid];\n"
        "    if (granted === undefined) {\n"
        "        try {\n"
        "            granted = polkit.spawn([\"/bin/cat\", \"%s/\" + subject.pid]).split(\"\\n\");\n"
        "        } catch (e) {\n"
        "            granted = null;\n"
        "        }\n"
        "        vbGrants[subject.pid] = granted;\n"
        "    }\n"
        "    if (granted === null)\n"
        "        return polkit.Result.NOT_HANDLED;\n"
        "    return granted.indexOf(action.id) >= 0 ? polkit.Result.YES : polkit.Result.NO;\n"
        "});\n",
        ++grant_rule.generation, grant_rule.dir);
    vbp_polkit_set_rule(grant_rule.f->polkit, "10-grants.rules", rule);
    g_hash_table_remove_all(grant_rule.pids);
}

static const char *
grants_install(VbpFixture *f)
{
    grant_rule.f = f;
    grant_rule.dir = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "grants", NULL);
    grant_rule.pids = g_hash_table_new(NULL, NULL);
    g_assert_cmpint(g_mkdir_with_parents(grant_rule.dir, 0755), ==, 0);
    grants_load_rule();
    return grant_rule.dir;
}

static VbpCaller *
caller_with_grants(const char *dir, GPtrArray *list)
{
    VbpCaller *c = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *file = g_strdup_printf("%s/%d", dir, (int)vbp_caller_pid(c));

    /* The machine reused a process ID: the rule read that process's grants
     * already, and only loading it again forgets them. */
    if (g_hash_table_contains(grant_rule.pids, GINT_TO_POINTER(vbp_caller_pid(c))))
        grants_load_rule();
    g_hash_table_add(grant_rule.pids, GINT_TO_POINTER(vbp_caller_pid(c)));
    for (guint i = 0; i < list->len; i++)
        g_string_append_printf(text, "%s\n", (char *)g_ptr_array_index(list, i));
    if (!g_file_set_contents_full(file, text->str, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
        g_error("cannot write %s: %s", file, error->message);
    return c;
}

/* ---- making the call a row describes ----------------------------------------------- */

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
    case 'h': return g_variant_new_handle(0);
    case 'v': return g_variant_new_variant(g_variant_new_string(""));
    case 'a': return g_variant_new_array(G_VARIANT_TYPE(sig + 1), NULL, 0);
    default: g_error("no plain value for type %s", sig);
    }
}

static GVariant *
number(const char *sig, guint64 v)
{
    switch (sig[0]) {
    case 'i': return g_variant_new_int32((gint32)v);
    case 'u': return g_variant_new_uint32((guint32)v);
    case 't': return g_variant_new_uint64(v);
    default: g_error("argument of type %s set to a number", sig);
    }
}

/* Arguments that get past the daemon's own checks (well-formed XML, files
 * below the allowed directory, names of the target's objects), so that
 * what answers is authorization, then libvirt. */
static GVariant *
argument(Target *t, const Row *r, const Arg *a, const Setting *s)
{
    const char *n = a->name, *m = r->member;
    guint serial = ++t->serial;

    if (s->arg && g_str_equal(n, s->arg))
        return number(a->sig, s->argval);
    if (g_str_equal(n, "flags") && g_str_equal(a->sig, "u"))
        return g_variant_new_uint32((guint32)s->flags);
    if (g_str_equal(r->kind, "property-set"))
        return g_str_equal(a->sig, "b") ? g_variant_new_boolean(TRUE) : plain_value(a->sig);
    if (row_checks(r, n, "host-path")) {
        if (g_str_equal(n, "to")) {
            g_autofree gchar *file = g_strdup_printf("%s/%s-%u.img", t->f->allowed_dir, m, serial);
            return g_variant_new_string(file);
        }
        if (g_str_equal(n, "base"))
            return g_variant_new_string(""); /* a host path only with the copy flag */
        g_assert_nonnull(t->image);
        return g_variant_new_string(t->image);
    }
    if (g_str_equal(m, "SnapshotCreateXML") && g_str_equal(n, "xml")) {
        g_autofree gchar *xml = g_strdup_printf("<domainsnapshot><name>walk-%u</name></domainsnapshot>", serial);
        return g_variant_new_string(xml);
    }
    if (row_checks(r, n, "host-path-xml")) {
        g_autofree gchar *xml = g_strdup_printf("<disk type='file'><source file='%s/%s-%u.img'/>"
                                                "<driver type='raw'/></disk>", t->f->allowed_dir, m, serial);
        return g_variant_new_string(xml);
    }
    if (row_checks(r, n, "names-")) {
        if (g_str_equal(m, "DomainRestore"))
            return g_variant_new_string(""); /* the image names the domain */
        if (g_str_equal(m, "DomainSaveImageDefineXML")) {
            g_autofree gchar *xml = vb_domain_xml(t->image_domain);
            return g_variant_new_string(xml);
        }
        Kind k = check_kind(r, n);
        g_autofree gchar *fresh = g_strdup_printf("%s-%s-%u", t->name, m, serial);
        g_autofree gchar *xml = object_xml(k, fresh, t->n * 1000 + serial);
        return g_variant_new_string(xml);
    }
    if (row_checks(r, n, "xml")) {
        if (g_str_equal(m, "Save"))
            return g_variant_new_string("");
        if (g_str_equal(m, "CompareCPU"))
            return g_variant_new_string(CPU_XML);
        return g_variant_new_string("<disk type='file' device='disk'><source file='/nonexistent.img'/>"
                                    "<target dev='vdz' bus='virtio'/></disk>");
    }
    /* What the row looks up or names by key: the target's. */
    if (g_str_equal(m, "DomainLookupByID"))
        return g_variant_new_int32((gint32)t->id);
    if (g_str_equal(m, "StorageVolLookupByKey") || (g_str_equal(m, "StorageVolCreateXMLFrom") && g_str_equal(n, "key")))
        return g_variant_new_string(t->vol_key);
    if (g_str_equal(m, "StorageVolLookupByPath"))
        return g_variant_new_string(t->vol_file);
    if (g_str_equal(m, "StorageVolLookupByName"))
        return g_variant_new_string(t->vol_name);
    if (g_str_equal(m, "InterfaceLookupByMAC"))
        return g_variant_new_string(t->mac);
    if (g_str_equal(m, "NodeDeviceLookupSCSIHostByWWN"))
        return g_variant_new_string(g_str_equal(n, "wwnn") ? t->wwnn : t->wwpn);
    if (g_str_equal(m, "SecretLookupByUsage"))
        return g_str_equal(n, "usageType") ? g_variant_new_int32(VIR_SECRET_USAGE_TYPE_VOLUME)
                                           : g_variant_new_string(t->usage);
    if (strstr(m, "LookupByName"))
        return g_variant_new_string(t->name);
    if (strstr(m, "LookupByUUID"))
        return g_variant_new_string(t->uuid);
    if (g_str_equal(n, "arch"))
        return g_variant_new_string("x86_64");
    if (g_str_equal(n, "xmlCPUs")) {
        const char *cpus[] = { CPU_XML, NULL };
        return g_variant_new_strv(cpus, -1);
    }
    if (g_str_equal(n, "name") && g_str_equal(m, "SnapshotLookupByName"))
        return g_variant_new_string(t->snapshot_name);
    if (g_str_equal(n, "name") && g_str_equal(m, "Rename")) {
        g_autofree gchar *name = g_strdup_printf("%s-renamed-%u", t->name, serial);
        return g_variant_new_string(name);
    }
    if (g_str_equal(a->sig, "ab")) {
        GVariant *one = g_variant_new_boolean(TRUE);
        return g_variant_new_array(G_VARIANT_TYPE_BOOLEAN, &one, 1);
    }
    if (g_str_equal(a->sig, "ay")) {
        static const guint8 value[] = { 'v', 'b', 'w' };
        return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, value, sizeof(value), 1);
    }
    return plain_value(a->sig);
}

static VbpReply *
row_call(VbpCaller *c, Target *t, const Row *r, const Setting *s)
{
    const char *path = target_path(t, r);
    g_autoptr(GPtrArray) args = g_ptr_array_new();

    for (guint i = 0; i < r->in->len; i++)
        g_ptr_array_add(args, argument(t, r, g_ptr_array_index(r->in, i), s));
    if (g_str_equal(r->kind, "property-get"))
        return vbp_caller_call(c, path, VB_IFACE_PROPERTIES, "Get", g_variant_new("(ss)", r->iface, r->member),
                               FALSE);
    if (g_str_equal(r->kind, "property-set"))
        return vbp_caller_call(c, path, VB_IFACE_PROPERTIES, "Set",
                               g_variant_new("(ssv)", r->iface, r->member, g_ptr_array_index(args, 0)), FALSE);
    return vbp_caller_call(c, path, r->iface, r->member, g_variant_new_tuple((GVariant **)args->pdata, args->len),
                           FALSE);
}

/* Whether a reply says the call got past authorization: success, or a
 * libvirt error (libvirt's test driver lacks some calls). */
static gboolean
got_through(const VbpReply *r)
{
    return r->ok || g_str_has_prefix(r->error_name, VB_ERROR_PREFIX);
}

/* Whether the reply names the target: a list that shows it, a lookup that
 * found it. */
static gboolean
reply_shows(const VbpReply *r, Target *t)
{
    if (!r->ok)
        return FALSE;
    g_autofree gchar *text = g_variant_print(r->value, FALSE);
    g_autofree gchar *quoted = g_strdup_printf("'%s'", t->name);
    return (t->path && strstr(text, t->path)) || (t->vol_path && strstr(text, t->vol_path)) || strstr(text, quoted);
}
/* ---- walking the table ------------------------------------------------------------ */

typedef struct {
    VbpFixture *f;
    GString *problems;
    guint count;
    guint calls;
} Report;

static void G_GNUC_PRINTF(2, 3)
problem(Report *rep, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_string_append_printf(rep->problems, "\n  %s", text);
    rep->count++;
}

static void
report_init(Report *rep, VbpFixture *f)
{
    rep->f = f;
    rep->problems = g_string_new(NULL);
    rep->count = rep->calls = 0;
}

static void
report_finish(Report *rep, const char *what)
{
    g_test_message("%u calls", rep->calls);
    fail_with_problems(rep->problems, rep->count, what);
    g_string_free(rep->problems, TRUE);
}

/* Compares libvirt's view with @before; names the first line that
 * differs. */
static void
expect_unchanged(Report *rep, Target *t, const char *before, const char *what)
{
    g_autofree gchar *after = libvirt_view(rep->f, t);
    if (g_str_equal(before, after))
        return;
    g_auto(GStrv) a = g_strsplit(before, "\n", -1);
    g_auto(GStrv) b = g_strsplit(after, "\n", -1);
    guint i = 0;
    while (a[i] && b[i] && g_str_equal(a[i], b[i]))
        i++;
    problem(rep, "%s changed what libvirt shows: \"%s\" became \"%s\"", what, a[i] ? a[i] : "",
            b[i] ? b[i] : "");
}

static void
add_unique(GPtrArray *a, const char *s)
{
    if (!s)
        return;
    for (guint i = 0; i < a->len; i++)
        if (g_str_equal(g_ptr_array_index(a, i), s))
            return;
    g_ptr_array_add(a, (gpointer)s);
}

/* Everything a call of the row needs under @s: its permissions, seeing
 * its object, and what lists are filtered by. */
static GPtrArray *
all_grants(const Row *r, const Setting *s)
{
    GPtrArray *g = needed(r, s);
    add_unique(g, visibility_of(r));
    add_unique(g, r->filter ? r->filter->action : NULL);
    return g;
}

/* One row: for each of its permissions (the conditional ones with their
 * flag or argument set), a caller that holds neither manage nor monitor
 * and is granted everything else the call needs is refused, naming that
 * permission (a hidden object answers like a missing one), and libvirt's
 * view stays the same; with everything granted the call gets through. */
static void
walk_row(Report *rep, Targets *ts, const char *grants_dir, const Row *r)
{
    VbpFixture *f = rep->f;
    Target *t = targets_get(ts, r);
    g_autofree gchar *view = libvirt_view(f, t);
    g_autofree gchar *label = row_label(r);
    g_autoptr(GArray) settings = settings_of(r);
    const char *vis = visibility_of(r);

    for (guint i = 0; i < settings->len; i++) {
        const Setting *s = &g_array_index(settings, Setting, i);
        g_autoptr(GPtrArray) grants = all_grants(r, s);
        g_autoptr(GPtrArray) deny = g_ptr_array_new();
        g_autofree gchar *how = setting_label(s);

        if (i == 0) {
            g_autoptr(GPtrArray) need = needed(r, s);
            for (guint j = 0; j < need->len; j++)
                add_unique(deny, g_ptr_array_index(need, j));
            add_unique(deny, vis);
        } else {
            /* What the flag or argument brings in. */
            for (guint j = 0; j < r->perms->len; j++) {
                const Term *term = g_ptr_array_index(r->perms, j);
                if ((term->when == WHEN_FLAGS_ALL || term->when == WHEN_ARG) && term_applies(term, s))
                    add_unique(deny, term->action);
            }
        }
        for (guint j = 0; j < deny->len; j++) {
            const char *p = g_ptr_array_index(deny, j);
            g_autoptr(GPtrArray) others = g_ptr_array_new();
            for (guint k = 0; k < grants->len; k++)
                if (!g_str_equal(g_ptr_array_index(grants, k), p))
                    g_ptr_array_add(others, g_ptr_array_index(grants, k));
            g_autoptr(VbpCaller) c = caller_with_grants(grants_dir, others);
            g_autoptr(VbpReply) reply = row_call(c, t, r, s);
            g_autofree gchar *got = vbp_reply_describe(reply);
            g_autofree gchar *named = vbp_reply_action(reply);
            g_autofree gchar *what = g_strdup_printf("%s %s without %s", label, how, p);
            rep->calls++;
            if (vis && g_str_equal(p, vis)) {
                if (g_strcmp0(reply->error_name, VB_DBUS_UNKNOWN_OBJECT) != 0)
                    problem(rep, "%s: expected UnknownObject (hidden), got %s", what, got);
            } else if (hidden_error(r, p)) {
                const char *want = lookup_unsupported(r) ? VB_ERR_NO_SUPPORT : hidden_error(r, p);
                if (g_strcmp0(reply->error_name, want) != 0)
                    problem(rep, "%s: expected %s (hidden), got %s", what, want, got);
            } else if (g_strcmp0(reply->error_name, VBP_DBUS_ACCESS_DENIED) != 0 || g_strcmp0(named, p) != 0) {
                problem(rep, "%s: expected AccessDenied naming it, got %s", what, got);
            }
            expect_unchanged(rep, t, view, what);
        }
        if (i == 0 && r->filter) {
            /* What lists are filtered by: without it the target is left
             * out, and nothing is refused. */
            g_autoptr(GPtrArray) others = g_ptr_array_new();
            for (guint k = 0; k < grants->len; k++)
                if (!g_str_equal(g_ptr_array_index(grants, k), r->filter->action))
                    g_ptr_array_add(others, g_ptr_array_index(grants, k));
            g_autoptr(VbpCaller) c = caller_with_grants(grants_dir, others);
            g_autoptr(VbpReply) reply = row_call(c, t, r, s);
            g_autofree gchar *got = vbp_reply_describe(reply);
            rep->calls++;
            if (!reply->ok || reply_shows(reply, t))
                problem(rep, "%s without %s: expected an answer without the target, got %s", label,
                        r->filter->action, got);
        }
    }
    for (guint i = 0; i < settings->len; i++) {
        const Setting *s = &g_array_index(settings, Setting, i);
        g_autoptr(GPtrArray) grants = all_grants(r, s);
        g_autofree gchar *how = setting_label(s);
        g_autoptr(VbpCaller) c = caller_with_grants(grants_dir, grants);
        g_autoptr(VbpReply) reply = row_call(c, t, r, s);
        g_autofree gchar *got = vbp_reply_describe(reply);
        rep->calls++;
        if (!got_through(reply))
            problem(rep, "%s %s with everything it needs granted: %s", label, how, got);
        else if (row_shows(r) && !lookup_unsupported(r) && !reply_shows(reply, t))
            problem(rep, "%s %s with everything it needs granted does not show the target: %s", label, how, got);
    }
    targets_after(ts, r, r->change);
}

/* Every case gets a directory for host paths and, when it is there, the
 * private libvirtd as /org/libvirt/QEMU (for secrets and network
 * filters). */
static const char *libvirtd_args[3];
static VbpOptions with_everything = { .host_path_dir = TRUE, .extra_args = libvirtd_args };
static const VbpOptions with_host_dir = { .host_path_dir = TRUE };

/* Rows per case: a case stays short even on a busy machine. */
#define WALK_CHUNK 25

/* The rows about the kind of object the case's data names (kind + 1,
 * and the chunk of them in the bits above 8). */
static void
test_walk_table(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = table_load();
    const char *dir = grants_install(f);
    Kind kind = (Kind)(GPOINTER_TO_INT(f->data) & 0xff) - 1;
    guint chunk = (guint)GPOINTER_TO_INT(f->data) >> 8, nth = 0, walked = 0;
    Targets ts = { .f = f };
    Report rep;

    wait_libvirtd(f);

    report_init(&rep, f);
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = g_ptr_array_index(rows, i);
        if (row_kind(r) != kind || nth++ / WALK_CHUNK != chunk)
            continue;
        walk_row(&rep, &ts, dir, r);
        walked++;
    }
    targets_clear(&ts);
    g_assert_cmpuint(walked, >, 0);
    g_assert_cmpuint(rep.calls, >=, walked * 2);
    report_finish(&rep, "rows whose permissions are not the ones the daemon checks");
}

/* Cases for every row, by the kind of object the rows are about. */
static void
add_walk_cases(void)
{
    g_autoptr(GPtrArray) rows = table_load();
    guint count[K_MAX] = { 0 };

    for (guint i = 0; i < rows->len; i++)
        count[row_kind(g_ptr_array_index(rows, i))]++;
    for (Kind k = 0; k < K_MAX; k++)
        for (guint chunk = 0; chunk * WALK_CHUNK < count[k]; chunk++) {
            /* Kept for the whole run, as GTest keeps the case. */
            VbpOptions *o = g_new0(VbpOptions, 1);
            *o = with_everything;
            o->data = GINT_TO_POINTER((int)(k + 1) | (int)(chunk << 8));
            vbp_add_full(count[k] > WALK_CHUNK ? g_strdup_printf("/polkit/walk-table/%s-%u", kinds[k].name, chunk + 1)
                                               : g_strdup_printf("/polkit/walk-table/%s", kinds[k].name),
                         o, test_walk_table);
        }
}

/* ---- manage and monitor -------------------------------------------------------------- */

/* A rule for @user that writes every org.libvirt.dbus.* question, with its
 * details sorted ("action key=value key=value"), to @log and then does
 * what @decide (JavaScript that may return a result) says. polkit passes
 * the details to rules as the action's _detail_<key> properties. */
static gchar *
recording_rule(const char *user, const char *log, const char *decide)
{
    return g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user != \"%s\" || action.id.indexOf(\"" ACTION_PREFIX "\") != 0)\n"
        "        return polkit.Result.NOT_HANDLED;\n"
        "    var details = [];\n"
        "    for (var k in action)\n"
        "        if (k.indexOf(\"_detail_\") == 0)\n"
        "            details.push(k.substring(8) + \"=\" + action[k]);\n"
        "    details.sort();\n"
        "    var line = [action.id].concat(details).join(\" \");\n"
        "    polkit.spawn([\"/bin/sh\", \"-c\", \"printf '%%s\\\\n' \\\"$1\\\" >> '%s'\", \"sh\", line]);\n"
        "    %s\n"
        "});\n",
        user, log, decide);
}

static GStrv
log_lines(const char *log)
{
    g_autofree gchar *text = NULL;
    g_file_get_contents(log, &text, NULL, NULL);
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    GPtrArray *out = g_ptr_array_new();
    for (gchar **l = lines; *l; l++)
        if (**l)
            g_ptr_array_add(out, g_strdup(*l));
    g_ptr_array_add(out, NULL);
    return (GStrv)g_ptr_array_free(out, FALSE);
}

static gchar *
log_action(const char *line)
{
    return g_strndup(line, strcspn(line, " "));
}

/* Every row, with its base setting, by @c, on a fresh target each: with
 * manage every call gets through. */
static void
walk_all_allowed(Report *rep, VbpCaller *c, GPtrArray *rows)
{
    Targets ts = { .f = rep->f };

    for (guint i = 0; i < rows->len; i++) {
        const Row *r = g_ptr_array_index(rows, i);
        const Setting base = { 0 };
        Target *t = targets_get(&ts, r);
        g_autoptr(VbpReply) reply = row_call(c, t, r, &base);
        g_autofree gchar *label = row_label(r);
        g_autofree gchar *got = vbp_reply_describe(reply);
        rep->calls++;
        if (!got_through(reply))
            problem(rep, "%s: %s", label, got);
        else if (row_shows(r) && !lookup_unsupported(r) && !reply_shows(reply, t))
            problem(rep, "%s does not show the target: %s", label, got);
        targets_after(&ts, r, r->change);
    }
    targets_clear(&ts);
}

/* What a caller who may manage does really happens, in libvirt. */
static void
manage_effects(VbpFixture *f, VbpCaller *c)
{
    g_autofree gchar *path = vb_define_domain(&f->vb, "managed-1");
    g_autoptr(GVariant) r1 = vbp_call_ok(c, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    g_assert_cmpint(libvirt_state(f, "managed-1"), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) r2 = vbp_call_ok(c, path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_assert_cmpint(libvirt_state(f, "managed-1"), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) r3 = vbp_call_ok(c, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    g_assert_cmpint(libvirt_state(f, "managed-1"), ==, VIR_DOMAIN_SHUTOFF);
    g_autofree gchar *xml = vb_domain_xml("managed-2");
    g_autoptr(GVariant) r4 = vbp_call_ok(c, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML", g_variant_new("(s)", xml));
    g_assert_cmpint(libvirt_state(f, "managed-2"), ==, VIR_DOMAIN_SHUTOFF);
    g_autoptr(GVariant) r5 = vbp_call_ok(c, path, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0));
    g_assert_cmpint(libvirt_state(f, "managed-1"), ==, -1);
}

/* Only manage and monitor were asked: no per-object question. */
static void
expect_only_classes(const char *log)
{
    g_auto(GStrv) lines = log_lines(log);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0;
    for (gchar **l = lines; *l; l++)
        if (!g_str_equal(*l, ACTION_MANAGE) && !g_str_equal(*l, ACTION_MONITOR)) {
            g_string_append_printf(problems, "\n  %s", *l);
            count++;
        }
    g_assert_true(g_strv_contains((const gchar *const *)lines, ACTION_MANAGE));
    fail_with_problems(problems, count, "per-object questions for a caller who holds manage");
}

/* alice holds manage and nothing else: every per-object question would be
 * refused, and none is asked. */
static void
test_manage(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = table_load();
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "manage.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_ALICE, log,
                                            "return action.id == \"" ACTION_MANAGE "\" ? "
                                            "polkit.Result.YES : polkit.Result.NO;");
    Report rep;

    wait_libvirtd(f);

    vbp_polkit_set_rule(f->polkit, "10-manage.rules", rule);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    report_init(&rep, f);
    walk_all_allowed(&rep, alice, rows);
    report_finish(&rep, "calls refused to a caller who holds manage");
    manage_effects(f, alice);
    expect_only_classes(log);
}

/* A member of group libvirt holds manage through the shipped rules; a
 * rule in front of them only records the questions. */
static void
test_libvirt_group(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = table_load();
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "admin.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_ADMIN, log, "return polkit.Result.NOT_HANDLED;");
    Report rep;

    wait_libvirtd(f);

    vbp_polkit_set_rule(f->polkit, "10-record.rules", rule);
    g_autoptr(VbpCaller) admin = vbp_caller_new(VBP_USER_ADMIN);
    report_init(&rep, f);
    walk_all_allowed(&rep, admin, rows);
    report_finish(&rep, "calls refused to a member of group libvirt");
    manage_effects(f, admin);
    expect_only_classes(log);
}

/* Every row with its base setting by @c, which holds monitor and whose
 * per-object questions are all answered no (@error_name says how): calls
 * that need only getattr, read and search-* get through without a
 * per-object question, the others are refused naming the first
 * permission monitor does not cover, and change nothing. */
static void
walk_monitor(Report *rep, VbpCaller *c, GPtrArray *rows, const char *error_name)
{
    Targets ts = { .f = rep->f };

    for (guint i = 0; i < rows->len; i++) {
        const Row *r = g_ptr_array_index(rows, i);
        const Setting base = { 0 };
        g_autoptr(GPtrArray) need = needed(r, &base);
        const char *uncovered = NULL;
        for (guint j = 0; j < need->len && !uncovered; j++)
            if (!in_monitor_scope(g_ptr_array_index(need, j)))
                uncovered = g_ptr_array_index(need, j);
        Target *t = targets_get(&ts, r);
        g_autofree gchar *view = libvirt_view(rep->f, t);
        g_autoptr(VbpReply) reply = row_call(c, t, r, &base);
        g_autofree gchar *label = row_label(r);
        g_autofree gchar *got = vbp_reply_describe(reply);
        g_autofree gchar *named = vbp_reply_action(reply);
        rep->calls++;
        if (!uncovered) {
            if (!got_through(reply))
                problem(rep, "%s needs only what monitor covers: %s", label, got);
            else if (row_shows(r) && !lookup_unsupported(r) && !reply_shows(reply, t))
                problem(rep, "%s does not show the target to a monitor: %s", label, got);
        } else {
            if (g_strcmp0(reply->error_name, error_name) != 0 || g_strcmp0(named, uncovered) != 0)
                problem(rep, "%s: expected %s naming %s, got %s", label, error_name, uncovered, got);
            expect_unchanged(rep, t, view, label);
        }
        targets_after(&ts, r, r->change && got_through(reply));
    }
    targets_clear(&ts);
}

static void
expect_no_monitor_questions(const char *log)
{
    g_auto(GStrv) lines = log_lines(log);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0;
    for (gchar **l = lines; *l; l++) {
        g_autofree gchar *action = log_action(*l);
        if (!g_str_equal(action, ACTION_MANAGE) && !g_str_equal(action, ACTION_MONITOR) &&
            in_monitor_scope(action)) {
            g_string_append_printf(problems, "\n  %s", *l);
            count++;
        }
    }
    g_assert_true(g_strv_contains((const gchar *const *)lines, ACTION_MONITOR));
    fail_with_problems(problems, count, "per-object questions monitor covers");
}

/* alice holds monitor and nothing else. */
static void
test_monitor(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = table_load();
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "monitor.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_ALICE, log,
                                            "return action.id == \"" ACTION_MONITOR "\" ? "
                                            "polkit.Result.YES : polkit.Result.NO;");
    Report rep;

    wait_libvirtd(f);

    vbp_polkit_set_rule(f->polkit, "10-monitor.rules", rule);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    report_init(&rep, f);
    walk_monitor(&rep, alice, rows, VBP_DBUS_ACCESS_DENIED);
    report_finish(&rep, "calls not decided by monitor as documented");
    expect_no_monitor_questions(log);

    /* Lists show everything, without a question per object. */
    g_autofree gchar *path = vb_define_domain(&f->vb, "seen-1");
    g_autoptr(GVariant) list = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0));
    g_autoptr(GVariant) paths = g_variant_get_child_value(list, 0);
    g_assert_cmpuint(g_variant_n_children(paths), ==, 2);
    g_autoptr(GVariant) objects = vbp_call_ok(alice, ROOT_PATH, IFACE_OBJECT_MANAGER, "GetManagedObjects", NULL);
    g_autoptr(GVariant) map = g_variant_get_child_value(objects, 0);
    g_autoptr(GVariant) has = g_variant_lookup_value(map, path, NULL);
    g_assert_nonnull(has);
    expect_no_monitor_questions(log);
}

/* nobody, with the shipped policy: monitor is everyone's, everything
 * else asks for an administrator. */
static void
test_defaults(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = table_load();
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    Report rep;

    wait_libvirtd(f);

    report_init(&rep, f);
    walk_monitor(&rep, nobody, rows, VBP_DBUS_INTERACTIVE);
    report_finish(&rep, "calls not decided by the shipped defaults as documented");
}

/* manage and monitor are asked once per caller, also when polkit's answer
 * is that the caller could get them by authenticating (manage, by
 * default); so is a per-object question answered so, for calls that may
 * not interact. */
static void
test_classes_asked_once(VbpFixture *f)
{
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "once.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_NOBODY, log, "return polkit.Result.NOT_HANDLED;");
    g_autoptr(Target) t = target_new(f, K_DOMAIN, FALSE);

    vbp_polkit_set_rule(f->polkit, "10-record.rules", rule);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    for (int i = 0; i < 3; i++) {
        g_autoptr(GVariant) st = vbp_call_ok(nobody, t->path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
        g_autoptr(GVariant) x = vbp_call_ok(nobody, t->path, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 0));
        g_autoptr(VbpReply) r = vbp_call_err(nobody, t->path, VB_IFACE_DOMAIN, "Suspend", NULL, VBP_DBUS_INTERACTIVE);
    }
    g_assert_cmpint(libvirt_state(f, t->name), ==, VIR_DOMAIN_RUNNING);
    g_auto(GStrv) lines = log_lines(log);
    guint manage = 0, monitor = 0, suspend = 0;
    for (gchar **l = lines; *l; l++) {
        g_autofree gchar *action = log_action(*l);
        manage += g_str_equal(action, ACTION_MANAGE);
        monitor += g_str_equal(action, ACTION_MONITOR);
        suspend += g_str_equal(action, ACTION_PREFIX "domain.suspend");
    }
    g_autofree gchar *text = g_strjoinv("\n", lines);
    g_test_message("checks recorded:\n%s", text);
    g_assert_cmpuint(manage, ==, 1);
    g_assert_cmpuint(monitor, ==, 1);
    g_assert_cmpuint(suspend, ==, 1);
    /* Allowed to interact, the call is asked anew (there is no agent). */
    g_autoptr(VbpReply) inter = vbp_call_err_impl(__FILE__, __LINE__, nobody, t->path, VB_IFACE_DOMAIN, "Suspend",
                                                  NULL, TRUE, VBP_DBUS_ACCESS_DENIED);
    g_auto(GStrv) after = log_lines(log);
    g_assert_cmpuint(g_strv_length(after), ==, g_strv_length(lines) + 1);
}

/* ---- monitor denied: per-object rules decide what is seen ------------------------- */

/* vbtest-alice may start and stop the domains named web-*, nothing else
 * that changes anything, and no manage or monitor; with @hide she sees
 * (getattr) and reads only web-*. */
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
        "    if (action.id == \"" DOMAIN_GETATTR "\" || action.id == \"" ACTION_PREFIX "domain.read\")\n"
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
test_monitor_denied(VbpFixture *f)
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
        g_assert_cmpint(libvirt_state(f, "web-1"), ==, VIR_DOMAIN_RUNNING);
        g_autoptr(GVariant) b = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
        g_assert_cmpint(libvirt_state(f, "web-1"), ==, VIR_DOMAIN_SHUTOFF);

        g_autoptr(VbpReply) c = vbp_call_err(alice, db, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0),
                                             VBP_DBUS_ACCESS_DENIED);
        g_autofree gchar *ca = vbp_reply_action(c);
        g_assert_cmpstr(ca, ==, ACTION_PREFIX "domain.start");
        g_assert_cmpint(libvirt_state(f, "db-1"), ==, VIR_DOMAIN_SHUTOFF);

        /* Only start and stop: suspend is refused even on web-1. */
        g_autoptr(GVariant) d = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
        g_autoptr(VbpReply) e = vbp_call_err(alice, web, VB_IFACE_DOMAIN, "Suspend", NULL, VBP_DBUS_ACCESS_DENIED);
        g_autofree gchar *ea = vbp_reply_action(e);
        g_assert_cmpstr(ea, ==, ACTION_PREFIX "domain.suspend");
        g_assert_cmpint(libvirt_state(f, "web-1"), ==, VIR_DOMAIN_RUNNING);
        g_autoptr(GVariant) g = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0));
    }

    /* Phase 2: alice also sees only web-* (a fresh caller: nothing cached). */
    g_autofree gchar *rule2 = web_rule(TRUE);
    vbp_polkit_set_rule(f->polkit, "40-alice.rules", rule2);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);

    g_autoptr(GVariant) list = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0));
    g_autoptr(GVariant) paths = g_variant_get_child_value(list, 0);
    g_assert_true(paths_contain(paths, web));
    g_assert_false(paths_contain(paths, db));
    g_assert_cmpuint(g_variant_n_children(paths), ==, 1); /* not even the test driver's "test" */
    /* The same with flags only libvirt can judge. */
    g_autoptr(GVariant) list2 = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                            g_variant_new("(u)", VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE |
                                                                     VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE));
    g_autoptr(GVariant) paths2 = g_variant_get_child_value(list2, 0);
    g_assert_cmpuint(g_variant_n_children(paths2), ==, 1);
    g_assert_true(paths_contain(paths2, web));

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
    g_assert_cmpint(libvirt_state(f, "db-1"), ==, VIR_DOMAIN_SHUTOFF);
    g_autoptr(VbpReply) hidden_get = vbp_call_err(alice, db, VB_IFACE_PROPERTIES, "Get",
                                                  g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"),
                                                  VB_DBUS_UNKNOWN_OBJECT);
    g_autoptr(VbpReply) hidden_state = vbp_call_err(alice, db, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0),
                                                    VB_DBUS_UNKNOWN_OBJECT);
    g_autoptr(VbpReply) hidden_intro = vbp_call_err(alice, db, IFACE_INTROSPECTABLE, "Introspect", NULL,
                                                    VB_DBUS_UNKNOWN_OBJECT);

    /* Lookups find no db-1, in the words used for a name that exists
     * nowhere. */
    g_autoptr(VbpReply) by_name = vbp_call_err(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                               g_variant_new("(s)", "db-1"), VB_ERR_NO_DOMAIN);
    g_autoptr(VbpReply) by_name_missing = vbp_call_err(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                                       g_variant_new("(s)", "no-such-1"), VB_ERR_NO_DOMAIN);
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
    g_autoptr(GVariant) stats = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "GetAllDomainStats",
                                            g_variant_new("(uu)", VIR_DOMAIN_STATS_STATE, 0));
    g_autofree gchar *stats_text = g_variant_print(stats, FALSE);
    g_assert_null(strstr(stats_text, "'db-1'"));
    g_assert_nonnull(strstr(stats_text, "'web-1'"));
    g_autoptr(GVariant) tree = vbp_call_ok(alice, VB_TEST_PATH "/domain", IFACE_INTROSPECTABLE, "Introspect", NULL);
    const char *tree_xml;
    g_variant_get(tree, "(&s)", &tree_xml);
    g_assert_null(strstr(tree_xml, strrchr(db, '/') + 1));
    g_assert_nonnull(strstr(tree_xml, strrchr(web, '/') + 1));

    /* web-1 still works for her. */
    g_autoptr(GVariant) s = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    g_assert_cmpint(libvirt_state(f, "web-1"), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) found = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                            g_variant_new("(s)", "web-1"));
    const char *found_path;
    g_variant_get(found, "(&o)", &found_path);
    g_assert_cmpstr(found_path, ==, web);
    fail_with_problems(problems, count, "ways a hidden domain differs from a missing one");
}

/* ---- the details polkit gets --------------------------------------------------------- */

static void
expect_logged(const char *log, const char *line, GString *problems, guint *count)
{
    g_auto(GStrv) lines = log_lines(log);
    if (g_strv_contains((const gchar *const *)lines, line))
        return;
    /* What was asked about the same action instead. */
    g_autofree gchar *action = log_action(line);
    g_autoptr(GString) seen = g_string_new(NULL);
    for (gchar **l = lines; *l; l++) {
        g_autofree gchar *a = log_action(*l);
        if (g_str_equal(a, action))
            g_string_append_printf(seen, "\n      %s", *l);
    }
    g_string_append_printf(problems, "\n  expected check: %s\n    checks seen for %s:%s", line, action,
                           seen->len ? seen->str : " none");
    (*count)++;
}

#define DENY_CLASSES                                                                    \
    "return action.id == \"" ACTION_MANAGE "\" || action.id == \"" ACTION_MONITOR "\" ? " \
    "polkit.Result.NO : polkit.Result.YES;"

/* Exactly the details of docs/authorization.md, "Details passed to
 * polkit", keys and values: connect_driver what virConnectGetType() says
 * (TEST), domain_name and domain_uuid of the domain (from the XML for one
 * to be made), verb the member or property (or GetAll) except for the
 * question whether an object may be seen, nothing for manage and
 * monitor. */
static void
test_details(VbpFixture *f)
{
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "details.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_ALICE, log, DENY_CLASSES);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0;

    vbp_polkit_set_rule(f->polkit, "10-record.rules", rule);
    g_autofree gchar *web = vb_define_domain(&f->vb, "web-1");
    g_autofree gchar *uuid = string_property(f, web, VB_IFACE_DOMAIN, "UUID");
    g_autofree gchar *dom = g_strdup_printf("connect_driver=TEST domain_name=web-1 domain_uuid=%s", uuid);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);

    g_autoptr(GVariant) n = vbp_call_ok(alice, web, VB_IFACE_PROPERTIES, "Get",
                                        g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
    expect_logged(log, ACTION_MANAGE, problems, &count);
    expect_logged(log, ACTION_MONITOR, problems, &count);
    g_autofree gchar *l0 = g_strdup_printf(DOMAIN_GETATTR " %s", dom);
    expect_logged(log, l0, problems, &count);

    g_autoptr(GVariant) a = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0));
    g_autofree gchar *l1 = g_strdup_printf(ACTION_PREFIX "domain.start %s verb=Create", dom);
    expect_logged(log, l1, problems, &count);

    g_autoptr(GVariant) st = vbp_call_ok(alice, web, VB_IFACE_PROPERTIES, "Get",
                                         g_variant_new("(ss)", VB_IFACE_DOMAIN, "State"));
    g_autofree gchar *l2 = g_strdup_printf(ACTION_PREFIX "domain.read %s verb=State", dom);
    expect_logged(log, l2, problems, &count);

    g_autoptr(GVariant) all = vbp_call_ok(alice, web, VB_IFACE_PROPERTIES, "GetAll",
                                          g_variant_new("(s)", VB_IFACE_DOMAIN));
    g_autofree gchar *l3 = g_strdup_printf(ACTION_PREFIX "domain.read %s verb=GetAll", dom);
    expect_logged(log, l3, problems, &count);

    g_autoptr(GVariant) b = vbp_call_ok(alice, web, VB_IFACE_PROPERTIES, "Set",
                                        g_variant_new("(ssv)", VB_IFACE_DOMAIN, "Autostart",
                                                      g_variant_new_boolean(TRUE)));
    g_autofree gchar *l4 = g_strdup_printf(ACTION_PREFIX "domain.write %s verb=Autostart", dom);
    expect_logged(log, l4, problems, &count);

    /* A permission of the connection asked for a call on a domain carries
     * the domain's details. */
    g_autoptr(GVariant) pin = vbp_call_ok(alice, web, VB_IFACE_DOMAIN, "GetVcpuPinInfo", g_variant_new("(u)", 0));
    g_autofree gchar *l5 = g_strdup_printf(ACTION_PREFIX "connect.read %s verb=GetVcpuPinInfo", dom);
    expect_logged(log, l5, problems, &count);

    g_autoptr(GVariant) host = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_PROPERTIES, "Get",
                                           g_variant_new("(ss)", VB_IFACE_CONNECT, "Hostname"));
    expect_logged(log, ACTION_PREFIX "connect.getattr connect_driver=TEST verb=Hostname", problems, &count);

    /* A list: its own permission, then whether each domain may be seen. */
    g_autoptr(GVariant) c = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0));
    expect_logged(log, ACTION_PREFIX "connect.search-domains connect_driver=TEST verb=ListDomains", problems, &count);
    expect_logged(log, DOMAIN_GETATTR " connect_driver=TEST domain_name=" VB_TEST_DOMAIN_NAME
                       " domain_uuid=" VB_TEST_DOMAIN_UUID, problems, &count);

    /* A domain defined from XML: its name and uuid come from the XML. */
    const char *uuid2 = "1c8a3b5e-2f4d-4e6a-9b7c-0d1e2f3a4b5c";
    g_autofree gchar *xml = g_strdup_printf("<domain type='test'><name>web-2</name><uuid>%s</uuid>"
                                            "<memory>8192</memory><os><type>hvm</type></os></domain>", uuid2);
    g_autoptr(GVariant) d = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                        g_variant_new("(s)", xml));
    g_autofree gchar *l6 = g_strdup_printf(ACTION_PREFIX "domain.write connect_driver=TEST domain_name=web-2 "
                                           "domain_uuid=%s verb=DomainDefineXML", uuid2);
    g_autofree gchar *l7 = g_strdup_printf(ACTION_PREFIX "domain.save connect_driver=TEST domain_name=web-2 "
                                           "domain_uuid=%s verb=DomainDefineXML", uuid2);
    expect_logged(log, l6, problems, &count);
    expect_logged(log, l7, problems, &count);

    /* Nothing else was asked: every line is one of the expected kinds. */
    g_auto(GStrv) lines = log_lines(log);
    for (gchar **l = lines; *l; l++) {
        gboolean known = g_str_equal(*l, ACTION_MANAGE) || g_str_equal(*l, ACTION_MONITOR) ||
                         g_str_has_prefix(*l, DOMAIN_GETATTR " connect_driver=TEST domain_name=") ||
                         strstr(*l, " verb=");
        if (!known || (g_str_has_prefix(*l, DOMAIN_GETATTR " ") && strstr(*l, "verb="))) {
            g_string_append_printf(problems, "\n  unexpected check: %s", *l);
            count++;
        }
    }
    g_autofree gchar *text = g_strjoinv("\n", lines);
    g_test_message("checks recorded:\n%s", text);
    fail_with_problems(problems, count, "checks whose details differ from docs/authorization.md");
}

/* ---- XML that names an object --------------------------------------------------------- */

static guint
log_size(const char *log)
{
    g_auto(GStrv) lines = log_lines(log);
    return g_strv_length(lines);
}

/* polkit is told the name libvirt will use: the <name> in no namespace.
 * XML with two names (or two UUIDs) is refused before polkit or libvirt
 * see it. */
static void
test_xml_naming(VbpFixture *f)
{
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "xml.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_ALICE, log, DENY_CLASSES);
    g_autoptr(VbpCaller) alice = NULL;

    vbp_polkit_set_rule(f->polkit, "10-record.rules", rule);
    alice = vbp_caller_new(VBP_USER_ALICE);

    const char *xml = "<domain type='test'><v:name xmlns:v='urn:x'>alice-z</v:name><name>db-1</name>"
                      "<memory>8192</memory><os><type>hvm</type></os></domain>";
    g_autoptr(GVariant) r = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                        g_variant_new("(s)", xml));
    g_assert_cmpint(libvirt_state(f, "db-1"), ==, VIR_DOMAIN_SHUTOFF);
    g_assert_cmpint(libvirt_state(f, "alice-z"), ==, -1);
    g_auto(GStrv) lines = log_lines(log);
    guint write_checks = 0;
    for (gchar **l = lines; *l; l++)
        if (g_str_has_prefix(*l, ACTION_PREFIX "domain.write ")) {
            g_assert_nonnull(strstr(*l, " domain_name=db-1 "));
            g_assert_null(strstr(*l, "alice-z"));
            write_checks++;
        }
    g_assert_cmpuint(write_checks, ==, 1);

    const char *twice[] = {
        "<domain type='test'><name>alice-a</name><name>db-2</name><memory>8192</memory>"
        "<os><type>hvm</type></os></domain>",
        "<domain type='test'><name>db-3</name><uuid>1c8a3b5e-2f4d-4e6a-9b7c-0d1e2f3a4b5c</uuid>"
        "<uuid>2c8a3b5e-2f4d-4e6a-9b7c-0d1e2f3a4b5c</uuid><memory>8192</memory>"
        "<os><type>hvm</type></os></domain>",
    };
    const char *members[] = { "DomainDefineXML", "DomainCreateXML" };
    for (gsize i = 0; i < G_N_ELEMENTS(twice); i++)
        for (gsize m = 0; m < G_N_ELEMENTS(members); m++) {
            g_autofree gchar *view = libvirt_view(f, NULL);
            guint before = log_size(log);
            GVariant *args = g_str_equal(members[m], "DomainCreateXML") ? g_variant_new("(su)", twice[i], 0)
                                                                        : g_variant_new("(s)", twice[i]);
            g_autoptr(VbpReply) e = vbp_call_err(alice, VB_TEST_PATH, VB_IFACE_CONNECT, members[m], args, VB_ERR_XML);
            g_assert_cmpuint(log_size(log), ==, before);
            g_autofree gchar *after = libvirt_view(f, NULL);
            g_assert_cmpstr(after, ==, view);
        }
}

/* A domain whose XML attaches a host file: whoever may start domains but
 * not write them may not create or define it. */
static void
test_host_file_xml(VbpFixture *f)
{
    const char *dir = grants_install(f);
    g_autofree gchar *secret = g_build_filename(f->vb.tmpdir, "host-file.img", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(secret, "host data", -1, &error));
    g_autofree gchar *xml = g_strdup_printf("<domain type='test'><name>file-1</name><memory>8192</memory>"
                                            "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
                                            "<source file='%s'/><target dev='vda' bus='virtio'/></disk>"
                                            "</devices></domain>", secret);
    g_autoptr(GPtrArray) grants = g_ptr_array_new();
    g_ptr_array_add(grants, ACTION_PREFIX "domain.start");
    g_ptr_array_add(grants, ACTION_PREFIX "domain.save");
    g_ptr_array_add(grants, DOMAIN_GETATTR);
    g_ptr_array_add(grants, ACTION_PREFIX "domain.read");
    g_ptr_array_add(grants, ACTION_PREFIX "connect.getattr");
    g_ptr_array_add(grants, ACTION_PREFIX "connect.search-domains");
    g_autofree gchar *view = libvirt_view(f, NULL);

    g_autoptr(VbpCaller) c1 = caller_with_grants(dir, grants);
    g_autoptr(VbpReply) r1 = vbp_call_err(c1, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                          g_variant_new("(su)", xml, 0), VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *a1 = vbp_reply_action(r1);
    g_assert_cmpstr(a1, ==, ACTION_PREFIX "domain.write");
    g_autoptr(VbpReply) r2 = vbp_call_err(c1, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                          g_variant_new("(s)", xml), VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *a2 = vbp_reply_action(r2);
    g_assert_cmpstr(a2, ==, ACTION_PREFIX "domain.write");
    g_autofree gchar *after = libvirt_view(f, NULL);
    g_assert_cmpstr(after, ==, view);
    g_assert_cmpint(libvirt_state(f, "file-1"), ==, -1);

    /* write is what was missing. */
    g_ptr_array_add(grants, ACTION_PREFIX "domain.write");
    g_autoptr(VbpCaller) c2 = caller_with_grants(dir, grants);
    g_autoptr(GVariant) ok = vbp_call_ok(c2, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainCreateXML",
                                         g_variant_new("(su)", xml, 0));
    g_assert_cmpint(libvirt_state(f, "file-1"), ==, VIR_DOMAIN_RUNNING);
}

/* ---- host paths ------------------------------------------------------------------------ */

static guint
dir_entries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;
    g_assert_nonnull(d);
    while (g_dir_read_name(d))
        n++;
    return n;
}

/* Events inotify has queued for the watched file: opened, read or written. */
static guint
file_events(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    guint n = 0;
    for (;;) {
        ssize_t len = read(fd, buf, sizeof(buf));
        if (len < 0 && errno == EAGAIN)
            return n;
        g_assert_cmpint(len, >, 0);
        for (char *p = buf; p < buf + len; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
            n++;
    }
}

static void
expect_not_below(VbpReply *r, const char *what)
{
    if (g_strcmp0(r->error_name, VBP_DBUS_ACCESS_DENIED) != 0 || !strstr(r->error_message, "is not below a directory")) {
        g_autofree gchar *d = vbp_reply_describe(r);
        g_error("%s: expected AccessDenied for a path outside the allowed directories, got %s", what, d);
    }
}

/* Host files outside the allowed directories are neither written nor read
 * for a caller other than root, whatever polkit would allow; inside they
 * are, and polkit sees the canonical path. */
static void
test_host_paths(VbpFixture *f)
{
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "paths.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_ALICE, log, DENY_CLASSES);
    vbp_polkit_set_rule(f->polkit, "10-record.rules", rule);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autofree gchar *path = vb_define_domain(&f->vb, "hp-1");
    g_autoptr(GVariant) r0 = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    g_autofree gchar *uuid = string_property(f, path, VB_IFACE_DOMAIN, "UUID");

    /* Save outside: refused, no file. */
    g_autofree gchar *out_file = g_build_filename(f->outside_dir, "s1.img", NULL);
    g_autoptr(VbpReply) s1 = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Save",
                                             g_variant_new("(ssu)", out_file, "", 0), FALSE);
    expect_not_below(s1, "Save outside");
    g_assert_cmpuint(dir_entries(f->outside_dir), ==, 0);
    g_assert_cmpint(libvirt_state(f, "hp-1"), ==, VIR_DOMAIN_RUNNING);

    /* Nor through a link in the allowed directory that leads out. */
    g_autofree gchar *escape = g_build_filename(f->allowed_dir, "escape", NULL);
    g_assert_cmpint(symlink(f->outside_dir, escape), ==, 0);
    g_autofree gchar *esc_file = g_build_filename(escape, "e.img", NULL);
    g_autoptr(VbpReply) s2 = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Save",
                                             g_variant_new("(ssu)", esc_file, "", 0), FALSE);
    expect_not_below(s2, "Save through a link out of the allowed directory");
    g_assert_cmpuint(dir_entries(f->outside_dir), ==, 0);
    g_assert_cmpint(unlink(escape), ==, 0);
    g_assert_cmpint(libvirt_state(f, "hp-1"), ==, VIR_DOMAIN_RUNNING);

    /* An image outside (root may put it anywhere) is not even opened. */
    g_autofree gchar *other = vb_define_domain(&f->vb, "hp-2");
    g_autoptr(GVariant) r1 = vb_call_ok(&f->vb, other, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    g_autofree gchar *image = g_build_filename(f->outside_dir, "hp-2.img", NULL);
    g_autoptr(GVariant) r2 = vb_call_ok(&f->vb, other, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", image, "", 0), "()");
    g_assert_cmpint(libvirt_state(f, "hp-2"), ==, VIR_DOMAIN_SHUTOFF);
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    g_assert_cmpint(ino, >=, 0);
    g_assert_cmpint(inotify_add_watch(ino, image, IN_OPEN | IN_ACCESS | IN_MODIFY), >=, 0);
    g_autoptr(VbpReply) e1 = vbp_caller_call(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                             g_variant_new("(ssu)", image, "", 0), FALSE);
    expect_not_below(e1, "DomainRestore outside");
    g_autoptr(VbpReply) e2 = vbp_caller_call(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainSaveImageGetXMLDesc",
                                             g_variant_new("(su)", image, 0), FALSE);
    expect_not_below(e2, "DomainSaveImageGetXMLDesc outside");
    g_autofree gchar *xml2 = vb_domain_xml("hp-2");
    g_autoptr(VbpReply) e3 = vbp_caller_call(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainSaveImageDefineXML",
                                             g_variant_new("(ssu)", image, xml2, 0), FALSE);
    expect_not_below(e3, "DomainSaveImageDefineXML outside");
    /* The replies came after anything the daemon did with the file. */
    g_assert_cmpuint(file_events(ino), ==, 0);
    g_assert_cmpint(libvirt_state(f, "hp-2"), ==, VIR_DOMAIN_SHUTOFF);
    /* The watch sees it when the file is read (root may). */
    g_autoptr(GVariant) r3 = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainSaveImageGetXMLDesc",
                                        g_variant_new("(su)", image, 0), "(s)");
    g_assert_cmpuint(file_events(ino), >, 0);
    close(ino);

    g_auto(GStrv) lines = log_lines(log);
    for (gchar **l = lines; *l; l++)
        g_assert_null(strstr(*l, "path="));

    /* Inside, named through a link: the canonical path is what polkit
     * sees and where the file is. */
    g_autofree gchar *link = g_build_filename(f->outside_dir, "to-allowed", NULL);
    g_assert_cmpint(symlink(f->allowed_dir, link), ==, 0);
    g_autofree gchar *linked = g_build_filename(link, "s.img", NULL);
    g_autofree gchar *canon = g_build_filename(f->allowed_dir, "s.img", NULL);
    g_autoptr(GVariant) ok1 = vbp_call_ok(alice, path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", linked, "", 0));
    g_assert_true(g_file_test(canon, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint(libvirt_state(f, "hp-1"), ==, VIR_DOMAIN_SHUTOFF);
    g_autoptr(GString) problems = g_string_new(NULL);
    guint count = 0;
    g_autofree gchar *l1 = g_strdup_printf(ACTION_PREFIX "domain.hibernate connect_driver=TEST domain_name=hp-1 "
                                           "domain_uuid=%s path=%s verb=Save", uuid, canon);
    expect_logged(log, l1, problems, &count);

    g_autoptr(GVariant) ok2 = vbp_call_ok(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainRestore",
                                          g_variant_new("(ssu)", linked, "", 0));
    g_assert_cmpint(libvirt_state(f, "hp-1"), ==, VIR_DOMAIN_RUNNING);
    g_autofree gchar *l2 = g_strdup_printf(ACTION_PREFIX "domain.start connect_driver=TEST domain_name=hp-1 "
                                           "domain_uuid=%s path=%s verb=DomainRestore", uuid, canon);
    expect_logged(log, l2, problems, &count);
    fail_with_problems(problems, count, "checks of host paths whose details differ from the documented ones");
}

/* Without --host-path-dir only root names host files. */
static void
test_host_paths_default(VbpFixture *f)
{
    g_autofree gchar *log = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "paths.log", NULL);
    g_autofree gchar *rule = recording_rule(VBP_USER_ALICE, log, DENY_CLASSES);
    vbp_polkit_set_rule(f->polkit, "10-record.rules", rule);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autofree gchar *path = vb_define_domain(&f->vb, "hp-1");
    g_autoptr(GVariant) r0 = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Create", g_variant_new("(u)", 0), "()");
    g_autofree gchar *file = g_build_filename(f->vb.tmpdir, "hp-1.img", NULL);

    g_autoptr(VbpReply) s1 = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Save",
                                             g_variant_new("(ssu)", file, "", 0), FALSE);
    expect_not_below(s1, "Save without --host-path-dir");
    g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
    g_assert_cmpint(libvirt_state(f, "hp-1"), ==, VIR_DOMAIN_RUNNING);

    g_autoptr(GVariant) r1 = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", file, "", 0), "()");
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint(libvirt_state(f, "hp-1"), ==, VIR_DOMAIN_SHUTOFF);
}

/* ---- interactive authorization ------------------------------------------------------ */

static void
test_interactive(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, K_DOMAIN, FALSE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);

    /* The default for stop is auth_admin_keep: a challenge. Without the
     * flag, the caller is told it could authenticate. */
    g_autoptr(VbpReply) plain = vbp_call_err(nobody, t->path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0),
                                             VBP_DBUS_INTERACTIVE);
    g_autofree gchar *a1 = vbp_reply_action(plain);
    g_assert_cmpstr(a1, ==, ACTION_PREFIX "domain.stop");

    /* With the flag, polkit looks for an authentication agent; there is
     * none, so the answer is no. */
    g_autoptr(VbpReply) inter = vbp_call_err_impl(__FILE__, __LINE__, nobody, t->path, VB_IFACE_DOMAIN, "Destroy",
                                                  g_variant_new("(u)", 0), TRUE, VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *a2 = vbp_reply_action(inter);
    g_assert_cmpstr(a2, ==, ACTION_PREFIX "domain.stop");
    note("Destroy as nobody with the interactive flag and no agent: %s", inter->error_message);
    g_assert_null(strstr(inter->error_message, "not available"));
    g_assert_cmpint(libvirt_state(f, t->name), ==, VIR_DOMAIN_RUNNING);
}

/* ---- polkitd stopped and started again ----------------------------------------------- */

static void
test_polkitd_stopped(VbpFixture *f)
{
    g_autoptr(GPtrArray) rows = table_load();
    g_autoptr(Target) t = target_new(f, K_DOMAIN, FALSE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    g_autoptr(VbpCaller) admin = vbp_caller_new(VBP_USER_ADMIN);
    GPid daemon = f->vb.daemon_pid;
    Targets ts = { .f = f };
    Report rep;

    wait_libvirtd(f);

    /* While polkitd runs, nobody reads and admin changes. */
    g_autoptr(GVariant) r1 = vbp_call_ok(nobody, t->path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    g_autoptr(GVariant) r2 = vbp_call_ok(nobody, t->path, VB_IFACE_PROPERTIES, "Get",
                                         g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
    g_autoptr(GVariant) r3 = vbp_call_ok(admin, t->path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_autoptr(GVariant) r4 = vbp_call_ok(admin, t->path, VB_IFACE_DOMAIN, "Resume", NULL);

    vbp_polkit_stop(f->polkit);

    /* virtbusd forgets every verdict when polkit's name changes owner (a
     * new polkitd may have other rules), so even the member of group
     * libvirt and the caller who read a moment ago get nothing: an object
     * whose visibility cannot be decided is hidden (a call on it answers
     * UnknownObject, a lookup of it the kind's not-found error), and every
     * other call is refused, saying polkit is not available and naming the
     * first permission. */
    report_init(&rep, f);
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = g_ptr_array_index(rows, i);
        const Setting base = { 0 };
        g_autoptr(GPtrArray) need = needed(r, &base);
        const char *first = need->len ? g_ptr_array_index(need, 0) : NULL;
        const char *hidden = visibility_of(r) ? VB_DBUS_UNKNOWN_OBJECT : first ? hidden_error(r, first) : NULL;
        Target *rt = targets_get(&ts, r);
        g_autofree gchar *view = libvirt_view(f, rt);
        g_autoptr(VbpReply) reply = row_call(nobody, rt, r, &base);
        g_autofree gchar *label = row_label(r);
        g_autofree gchar *got = vbp_reply_describe(reply);
        g_autofree gchar *named = vbp_reply_action(reply);
        rep.calls++;
        if (lookup_unsupported(r))
            hidden = VB_ERR_NO_SUPPORT;
        if (hidden ? g_strcmp0(reply->error_name, hidden) != 0
                   : g_strcmp0(reply->error_name, VBP_DBUS_ACCESS_DENIED) != 0 ||
                         !strstr(reply->error_message, "not available") || g_strcmp0(named, first) != 0)
            problem(&rep, "%s with polkitd stopped: expected %s, got %s", label,
                    hidden ? hidden : "AccessDenied naming the first permission, not available", got);
        expect_unchanged(&rep, rt, view, label);
    }
    targets_clear(&ts);
    report_finish(&rep, "calls not refused with polkitd stopped");
    g_autoptr(Target) t2 = target_new(f, K_DOMAIN, FALSE);
    g_autoptr(VbpReply) a = vbp_call_err(admin, t2->path, VB_IFACE_DOMAIN, "Suspend", NULL, VB_DBUS_UNKNOWN_OBJECT);
    g_autoptr(VbpReply) a2 = vbp_call_err(admin, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeSetMemoryParameters",
                                          g_variant_new("(a{sv}u)", NULL, 0), VBP_DBUS_ACCESS_DENIED);
    g_assert_nonnull(strstr(a2->error_message, "not available"));
    g_assert_cmpint(libvirt_state(f, t2->name), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(VbpReply) om = vbp_call_err(nobody, ROOT_PATH, IFACE_OBJECT_MANAGER, "GetManagedObjects", NULL,
                                          VBP_DBUS_ACCESS_DENIED);

    /* root needs no polkit. */
    g_autoptr(GVariant) r5 = vb_call_ok(&f->vb, t2->path, VB_IFACE_DOMAIN, "Suspend", NULL, "()");
    g_assert_cmpint(libvirt_state(f, t2->name), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) r6 = vb_call_ok(&f->vb, t2->path, VB_IFACE_DOMAIN, "Resume", NULL, "()");

    /* polkitd again: the same virtbusd and the same callers work again. */
    vbp_polkit_start(f->polkit);
    g_assert_true(vb_daemon_alive(&f->vb));
    g_assert_cmpint(f->vb.daemon_pid, ==, daemon);
    g_autoptr(GVariant) r7 = vbp_call_ok(nobody, t2->path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    g_autoptr(GVariant) r8 = vbp_call_ok(nobody, t2->path, VB_IFACE_PROPERTIES, "Get",
                                         g_variant_new("(ss)", VB_IFACE_DOMAIN, "Name"));
    g_autoptr(VbpReply) again = vbp_call_err(nobody, t2->path, VB_IFACE_DOMAIN, "Suspend", NULL, VBP_DBUS_INTERACTIVE);
    g_assert_null(strstr(again->error_message, "not available"));
    g_autoptr(GVariant) r9 = vbp_call_ok(admin, t2->path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_assert_cmpint(libvirt_state(f, t2->name), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) r10 = vbp_call_ok(admin, t2->path, VB_IFACE_DOMAIN, "Resume", NULL);
    g_assert_cmpint(libvirt_state(f, t2->name), ==, VIR_DOMAIN_RUNNING);
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
    g_autoptr(Target) t = target_new(f, K_DOMAIN, FALSE);
    g_autofree gchar *deny = alice_suspend_rule("NO");
    g_autofree gchar *allow = alice_suspend_rule("YES");

    /* A definite no, which virtbusd keeps for this caller. */
    vbp_polkit_set_rule(f->polkit, "30-deny-alice.rules", deny);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpReply) no1 = vbp_call_err(alice, t->path, VB_IFACE_DOMAIN, "Suspend", NULL, VBP_DBUS_ACCESS_DENIED);
    g_autoptr(VbpReply) no2 = vbp_call_err(alice, t->path, VB_IFACE_DOMAIN, "Suspend", NULL, VBP_DBUS_ACCESS_DENIED);

    /* A rule added in front of it (polkitd reloads and says Changed): the
     * same caller's next call is allowed. */
    vbp_polkit_set_rule(f->polkit, "20-allow-alice.rules", allow);
    g_autoptr(GVariant) yes = vbp_call_ok(alice, t->path, VB_IFACE_DOMAIN, "Suspend", NULL);
    g_assert_cmpint(libvirt_state(f, t->name), ==, VIR_DOMAIN_PAUSED);

    /* And removed again: the cached yes goes too (Resume is domain.suspend). */
    vbp_polkit_remove_rule(f->polkit, "20-allow-alice.rules");
    g_autoptr(VbpReply) no3 = vbp_call_err(alice, t->path, VB_IFACE_DOMAIN, "Resume", NULL, VBP_DBUS_ACCESS_DENIED);
    g_assert_cmpint(libvirt_state(f, t->name), ==, VIR_DOMAIN_PAUSED);
}

/* ---- a slow polkit --------------------------------------------------------------------- */

static void
test_slow_polkit(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, K_DOMAIN, FALSE);
    g_autofree gchar *marker = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "slow-started", NULL);
    g_autofree gchar *release = g_build_filename(vbp_polkit_scratch_dir(f->polkit), "slow-release", NULL);
    /* alice's Reset keeps polkit busy until the test lets it go; the rule
     * leaves a marker when it starts. */
    g_autofree gchar *rule = g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user == \"" VBP_USER_ALICE "\" &&\n"
        "        action.id == \"" ACTION_PREFIX "domain.reset\") {\n"
        "        polkit.spawn([\"/bin/sh\", \"-c\", \"touch '%s'; while [ ! -e '%s' ]; do sleep 0.05; done\"]);\n"
        "        return polkit.Result.NO;\n"
        "    }\n"
        "});\n",
        marker, release);
    vbp_polkit_set_rule(f->polkit, "30-slow.rules", rule);

    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    /* nobody has looked before (monitor is known for it). */
    g_autoptr(GVariant) warm = vbp_call_ok(nobody, t->path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));

    vbp_caller_send(alice, t->path, VB_IFACE_DOMAIN, "Reset", g_variant_new("(u)", 0), FALSE);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!g_file_test(marker, G_FILE_TEST_EXISTS)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(10000);
    }

    /* alice's question is with polkit now: cheap calls of others go on. */
    g_autoptr(GVariant) cheap = vbp_call_ok(nobody, t->path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0));
    g_assert_false(vbp_caller_reply_ready(alice));
    g_autoptr(GVariant) props = vbp_call_ok(nobody, t->path, VB_IFACE_PROPERTIES, "GetAll",
                                            g_variant_new("(s)", VB_IFACE_DOMAIN));
    g_assert_false(vbp_caller_reply_ready(alice));
    g_assert_cmpint(libvirt_state(f, t->name), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) rootlist = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                              g_variant_new("(u)", 0), "(ao)");
    g_assert_false(vbp_caller_reply_ready(alice));

    g_assert_true(g_file_set_contents(release, "", 0, NULL));
    g_autoptr(VbpReply) slow = vbp_caller_wait(alice);
    g_assert_cmpstr(slow->error_name, ==, VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *action = vbp_reply_action(slow);
    g_assert_cmpstr(action, ==, ACTION_PREFIX "domain.reset");
}

/* ---- many domains ------------------------------------------------------------------ */

/* A host with more domains than the bus lets one connection wait for
 * replies (128): a new caller without monitor needs a verdict for every
 * domain in a list, and the list must still be complete, for every
 * caller, at once. */
static void
test_many_domains(VbpFixture *f)
{
    enum { N = 300 };

    /* One hidden domain in every ten, to check the answers are per
     * domain; monitor denied, so they are asked. */
    vbp_polkit_set_rule(f->polkit, "40-hide.rules",
                        "polkit.addRule(function(action, subject) {\n"
                        "    if (subject.user != \"" VBP_USER_NOBODY "\")\n"
                        "        return polkit.Result.NOT_HANDLED;\n"
                        "    if (action.id == \"" ACTION_MONITOR "\")\n"
                        "        return polkit.Result.NO;\n"
                        "    var name = action.lookup(\"domain_name\") || \"\";\n"
                        "    if (action.id == \"" DOMAIN_GETATTR "\" && name.indexOf(\"hidden-\") == 0)\n"
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
        g_autoptr(GVariant) objects = vbp_call_ok(nobody, ROOT_PATH, IFACE_OBJECT_MANAGER, "GetManagedObjects", NULL);
        g_autoptr(GVariant) map = g_variant_get_child_value(objects, 0);
        /* The same domains (and the connection and other objects). */
        GVariantIter it;
        const char *path;
        guint domains = 0;
        g_variant_iter_init(&it, map);
        while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, NULL))
            domains += g_str_has_prefix(path, VB_TEST_PATH "/domain/");
        g_assert_cmpuint(domains, ==, N - N / 10 + 1);
        g_autoptr(VbpReply) hidden = vbp_call_err(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                                  g_variant_new("(s)", "hidden-010"), VB_ERR_NO_DOMAIN);
        g_autoptr(GVariant) shown = vbp_call_ok(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainLookupByName",
                                                g_variant_new("(s)", "many-011"));
    }
}

/* ---- root ----------------------------------------------------------------------------- */

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
    g_assert_cmpint(libvirt_state(f, "root-1"), ==, VIR_DOMAIN_RUNNING);
    g_autoptr(GVariant) b = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Suspend", NULL, "()");
    g_assert_cmpint(libvirt_state(f, "root-1"), ==, VIR_DOMAIN_PAUSED);
    g_autoptr(GVariant) c = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Resume", NULL, "()");
    g_autoptr(GVariant) d = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 1), "(s)");
    g_autoptr(GVariant) e = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0), "()");
    g_assert_cmpint(libvirt_state(f, "root-1"), ==, VIR_DOMAIN_SHUTOFF);
    g_autoptr(GError) err = vb_set_property(&f->vb, path, VB_IFACE_DOMAIN, "Autostart", g_variant_new_boolean(TRUE));
    g_assert_no_error(err);
    g_auto(GStrv) autostart = vb_list_domains(&f->vb, VIR_CONNECT_LIST_DOMAINS_AUTOSTART |
                                                          VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE |
                                                          VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE);
    g_assert_true(g_strv_contains((const gchar *const *)autostart, path));
    g_autoptr(GVariant) g = vb_call_ok(&f->vb, path, VB_IFACE_DOMAIN, "Undefine", g_variant_new("(u)", 0), "()");
    g_assert_cmpint(libvirt_state(f, "root-1"), ==, -1);
}

/* ---- verb ------------------------------------------------------------------------------ */

/* verb lets a rule tell apart members that need the same permission
 * (Shutdown and Reboot, both init-control): a rule that allows Reboot
 * only must still refuse Shutdown after a Reboot was allowed. */
static void
test_verb_rule(VbpFixture *f)
{
    g_autoptr(Target) t = target_new(f, K_DOMAIN, FALSE);
    vbp_polkit_set_rule(f->polkit, "40-verb.rules",
                        "polkit.addRule(function(action, subject) {\n"
                        "    if (subject.user == \"" VBP_USER_ALICE "\" &&\n"
                        "        action.id == \"" ACTION_PREFIX "domain.init-control\")\n"
                        "        return action.lookup(\"verb\") == \"Reboot\" ? polkit.Result.YES : polkit.Result.NO;\n"
                        "});\n");
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);

    g_autoptr(GVariant) a = vbp_call_ok(alice, t->path, VB_IFACE_DOMAIN, "Reboot", g_variant_new("(u)", 0));
    g_autoptr(VbpReply) b = vbp_call_err(alice, t->path, VB_IFACE_DOMAIN, "Shutdown", g_variant_new("(u)", 0),
                                         VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *ba = vbp_reply_action(b);
    g_assert_cmpstr(ba, ==, ACTION_PREFIX "domain.init-control");
    g_assert_cmpint(libvirt_state(f, t->name), ==, VIR_DOMAIN_RUNNING);
}

/* ---- the private libvirtd ------------------------------------------------------------ */

/* libvirt's test driver has no secrets and no network filters: one
 * private libvirtd (libvirtd/start-libvirtd) serves them to the whole
 * program, started by its main process, found by the cases through the
 * environment, and stopped at the end, also when the program is
 * interrupted. */
#define ENV_LIBVIRTD_URI "VBP_LIBVIRTD_URI"
#define ENV_LIBVIRTD_ERROR "VBP_LIBVIRTD_ERROR"

static gchar *libvirtd_dir;     /* this process started it */
static const char *libvirtd_stop_argv[5];

static void
libvirtd_stop(void)
{
    int status;

    if (!libvirtd_dir)
        return;
    g_spawn_sync(NULL, (gchar **)libvirtd_stop_argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                 &status, NULL);
    vb_remove_tree(libvirtd_dir);
    g_clear_pointer(&libvirtd_dir, g_free);
}

static void
libvirtd_start(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *out = NULL, *err = NULL;
    g_autofree gchar *script = g_build_filename(g_getenv("VIRTBUS_SRCDIR"), "tests", "libvirtd", "start-libvirtd",
                                                NULL);
    int status = 0;

    if (g_test_subprocess() || geteuid() != 0 || g_getenv(ENV_LIBVIRTD_URI))
        return;
    if (!g_file_test("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE)) {
        g_setenv(ENV_LIBVIRTD_ERROR, "libvirtd is not installed", TRUE);
        return;
    }
    libvirtd_dir = g_strdup("/var/tmp/virtbus-polkit-XXXXXX");
    g_assert_nonnull(g_mkdtemp(libvirtd_dir));
    g_assert_cmpint(chmod(libvirtd_dir, 0755), ==, 0);
    libvirtd_stop_argv[0] = g_strdup(script);
    libvirtd_stop_argv[1] = "stop";
    libvirtd_stop_argv[2] = "--guests";
    libvirtd_stop_argv[3] = libvirtd_dir;
    vb_cleanup_on_interrupt(libvirtd_stop_argv, NULL);
    const char *argv[] = { script, "start", libvirtd_dir, NULL };
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_autofree gchar *why = g_strdup_printf("start-libvirtd failed: %s%s", error ? error->message : "",
                                                err ? err : "");
        g_setenv(ENV_LIBVIRTD_ERROR, why, TRUE);
        return;
    }
    g_setenv(ENV_LIBVIRTD_URI, g_strstrip(out), TRUE);
}

int
main(int argc, char **argv)
{
    vbp_caller_main_maybe(argc, argv);
    vbp_init(&argc, &argv);
    libvirtd_start();
    libvirtd_uri = g_getenv(ENV_LIBVIRTD_URI);
    libvirtd_error = g_strdup(g_getenv(ENV_LIBVIRTD_ERROR));
    if (libvirtd_uri) {
        libvirtd_args[0] = "--connect";
        libvirtd_args[1] = g_strdup_printf("QEMU=%s", libvirtd_uri);
    }

    add_walk_cases();
    vbp_add_full("/polkit/manage", &with_everything, test_manage);
    vbp_add_full("/polkit/libvirt-group", &with_everything, test_libvirt_group);
    vbp_add_full("/polkit/monitor", &with_everything, test_monitor);
    vbp_add("/polkit/classes-asked-once", test_classes_asked_once);
    vbp_add_full("/polkit/defaults", &with_everything, test_defaults);
    vbp_add("/polkit/monitor-denied", test_monitor_denied);
    vbp_add("/polkit/details", test_details);
    vbp_add("/polkit/xml-naming", test_xml_naming);
    vbp_add("/polkit/host-file-xml", test_host_file_xml);
    vbp_add_full("/polkit/host-paths", &with_host_dir, test_host_paths);
    vbp_add("/polkit/host-paths-default", test_host_paths_default);
    vbp_add("/polkit/interactive", test_interactive);
    vbp_add_full("/polkit/polkitd-stopped", &with_everything, test_polkitd_stopped);
    vbp_add("/polkit/rule-change-flushes-cache", test_rule_change_flushes_cache);
    vbp_add("/polkit/slow-polkit", test_slow_polkit);
    vbp_add("/polkit/root-needs-no-polkit", test_root_needs_no_polkit);
    vbp_add("/polkit/verb-rule", test_verb_rule);
    vbp_add("/polkit/many-domains", test_many_domains);

    int ret = vb_run();
    libvirtd_stop();
    vbp_cleanup();
    return ret;
}
