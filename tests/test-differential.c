/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The differential check against libvirt-dbus, the implementation virtbusd
 * replaces. One script of calls (differential/TARGET.script) runs against
 * virtbusd and then against libvirt-dbus, each started fresh on the same
 * private bus and the same libvirt, and every step must give both daemons
 * the same reply, or the same error text, and the same org.libvirt signals.
 * The differences accepted are listed in differences[] below, each with its
 * reason, and a step accepts one only when it names it; values that change
 * from one run of libvirt to the next are masked as volatile_values[] says.
 *
 * Targets (VIRTBUS_DIFFERENTIAL):
 *   test-driver  (the default) libvirt's test:///default, which each daemon
 *                opens for itself, so both start from the same state.
 *   libvirtd     one private libvirtd (libvirtd/start-libvirtd) for both, for
 *                what the test driver lacks (secrets, network filters, storage
 *                on disk): virtbusd reaches it by its socket, libvirt-dbus runs
 *                inside its mount namespace, where qemu:///system is that
 *                daemon. The script leaves libvirtd as it found it, so the
 *                second daemon starts where the first did. Needs root.
 *
 * The script format, one step a line (a trailing backslash joins the next
 * line, with its leading blanks dropped; "#" starts a comment line):
 *   let NAME VALUE        ${NAME} stands for VALUE from here on
 *   cover IFACE...        the script calls every method, reads every property
 *                         and writes every writable one of these interfaces
 *                         (checked by /differential/coverage)
 *   barrier POOL          from here on, after each step: Refresh the storage
 *                         pool POOL and wait for its Refresh signal. libvirt
 *                         delivers a connection's events in the order they
 *                         were queued, so every signal the step caused has
 *                         arrived by then; no step waits for time to pass.
 *                         Signals are compared from here on.
 *   unbarrier             one last barrier, and no more (before the pool goes)
 *   call PATH IFACE.METHOD [ARGS] [!DIFF]
 *   get PATH IFACE.PROPERTY [!DIFF]
 *   set PATH IFACE.PROPERTY VALUE [!DIFF]
 *   getall PATH IFACE [!DIFF]
 * IFACE may leave out "org.libvirt.". ARGS (a tuple) and VALUE are in GVariant
 * text format, typed by libvirt-dbus's interface files. !DIFF names the entry
 * of differences[] the step shows. The program sets ${SCRATCH}, an empty
 * directory (the same path in both runs), and ${SCRATCH_PATH}, the same as
 * it appears in an object path (a volume's key encoded).
 *
 * VIRTBUS_DIFFERENTIAL_LOG=DIR writes both transcripts there.
 */
#include "harness.h"

#include <gio/gunixfdlist.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define IFACE_PREFIX "org.libvirt."
#define BARRIER_TIMEOUT_MS 15000

typedef struct {
        gchar *reply;      /* the reply, canonical, as GVariant text; or NULL */
        gchar *error_name;
        gchar *error_text;
        GPtrArray *signals; /* each org.libvirt signal the step caused, as text */
} Outcome;

typedef struct Difference {
        const char *name;
        const char *reason;
        /* Whether virtbusd's reply (or error) in @vb and libvirt-dbus's in
         * @ref differ in exactly the way this entry describes; NULL: they
         * may not differ. */
        gboolean (*accepts)(const Outcome *vb, const Outcome *ref);
        /* The same for the signals. */
        gboolean (*accepts_signals)(const Outcome *vb, const Outcome *ref);
        /* The step is not run against libvirt-dbus. */
        gboolean skip_reference;
} Difference;

typedef enum {
        STEP_CALL,
        STEP_GET,
        STEP_SET,
        STEP_GETALL,
        STEP_BARRIER,
        STEP_UNBARRIER,
} StepKind;

typedef struct {
        guint line;
        StepKind kind;
        gchar *text; /* the line, variables expanded, for reports */
        gchar *path;
        gchar *iface;
        gchar *member;  /* method or property */
        GVariant *args; /* call: the arguments; set: the value */
        const Difference *diff;
} Step;

typedef struct {
        gchar *file;
        GPtrArray *steps;
        GPtrArray *cover; /* interface names */
} Script;

/* What the program runs against. */
static struct {
        const char *name; /* test-driver or libvirtd */
        gchar *scratch;   /* files the script makes, the same path in both runs */
        /* libvirtd only */
        gchar *lv_dir;
        gchar *lv_uri;
        gchar *lv_script;
        gchar *connect_arg;
        const char *virtbusd_args[3];
        const char *wrapper[4];
        VbDaemonOptions virtbusd;
        VbDaemonOptions reference;
} target;

/* ---- what may differ ------------------------------------------------------------ */

#define NOT_RUN "(not run against libvirt-dbus)"

/* @text with its one @needle replaced, or NULL if it has none. */
static gchar *
replace_once(const char *text, const char *needle, const char *replacement)
{
        const char *at = strstr(text, needle);

        if (!at)
                return NULL;
        return g_strdup_printf("%.*s%s%s", (int)(at - text), text, replacement, at + strlen(needle));
}

static gboolean
is_libvirt_error_name(const char *name)
{
        return name && g_str_has_prefix(name, "org.libvirt.Error.") && strlen(name) > strlen("org.libvirt.Error.");
}

static gboolean
is_error(const Outcome *o, const char *name)
{
        return !o->reply && g_strcmp0(o->error_name, name) == 0;
}

static gboolean
accepts_xml_check(const Outcome *vb, const Outcome *ref)
{
        return is_error(vb, "org.libvirt.Error.XmlError") && strstr(vb->error_text, "line ") &&
               strstr(vb->error_text, "column ") && is_error(ref, "org.libvirt.Error");
}

static gboolean
accepts_unknown_object(const Outcome *vb, const Outcome *ref)
{
        return is_error(vb, "org.freedesktop.DBus.Error.UnknownObject") &&
               (is_error(ref, "org.libvirt.Error") || is_error(ref, "org.freedesktop.DBus.Error.UnknownMethod"));
}

static gboolean
accepts_unknown_object_getall(const Outcome *vb, const Outcome *ref)
{
        return is_error(vb, "org.freedesktop.DBus.Error.UnknownObject") && g_strcmp0(ref->reply, "(@a{sv} {},)") == 0;
}

static gboolean
accepts_connect_secure(const Outcome *vb, const Outcome *ref)
{
        g_autofree gchar *a = NULL;
        g_autofree gchar *b = NULL;

        if (!vb->reply || !ref->reply)
                return FALSE;
        if (g_str_equal(vb->reply, "(<true>,)"))
                return g_str_equal(ref->reply, "(<false>,)");
        a = replace_once(vb->reply, "'Secure': <<true>>", "'Secure': <<?>>");
        b = replace_once(ref->reply, "'Secure': <<false>>", "'Secure': <<?>>");
        return a && b && g_str_equal(a, b);
}

static gboolean
accepts_bus_library(const Outcome *vb, const Outcome *ref)
{
        return (is_error(vb, "org.freedesktop.DBus.Error.PropertyReadOnly") ||
                is_error(vb, "org.freedesktop.DBus.Error.UnknownProperty")) &&
               is_error(ref, "org.freedesktop.DBus.Error.InvalidArgs");
}

static gboolean
accepts_snapshot_lookup(const Outcome *vb, const Outcome *ref)
{
        return is_error(vb, "org.libvirt.Error.NoDomainSnapshot") && is_error(ref, "org.libvirt.Error") &&
               g_str_equal(ref->error_text, "unknown error");
}

static gboolean
accepts_nodedev_no_parent(const Outcome *vb, const Outcome *ref)
{
        g_autofree gchar *a = NULL;

        if (g_strcmp0(vb->reply, "(<''>,)") == 0)
                return is_error(ref, "org.libvirt.Error") && strstr(ref->error_text, "no parent");
        a = vb->reply ? replace_once(vb->reply, ", 'Parent': <<''>>", "") : NULL;
        return a && ref->reply && g_str_equal(a, ref->reply);
}

/* libvirt-dbus passes libvirt's NULL namespace of a title or description
 * change to g_variant_new("s"), which refuses it: its MetadataChange
 * carries no valid string. virtbusd sends "". */
static gboolean
accepts_metadata_signal(const Outcome *vb, const Outcome *ref)
{
        if (vb->signals->len != ref->signals->len)
                return FALSE;
        for (guint i = 0; i < vb->signals->len; i++) {
                const char *a = vb->signals->pdata[i], *b = ref->signals->pdata[i];
                g_autofree gchar *fixed = replace_once(b, "'[Invalid UTF-8]')", "'')");
                if (!g_str_equal(a, b) && !(strstr(a, ".MetadataChange (") && fixed && g_str_equal(a, fixed)))
                        return FALSE;
        }
        return TRUE;
}

/* The test driver has no guest agent: virtbusd answers libvirt's refusal. */
static gboolean
accepts_not_run(const Outcome *vb, const Outcome *ref)
{
        return g_strcmp0(ref->reply, NOT_RUN) == 0 && is_error(vb, "org.libvirt.Error.NoSupport");
}

/* libvirt refuses the caller's flags as invalid. */
static gboolean
accepts_flags_passed(const Outcome *vb, const Outcome *ref)
{
        return is_error(vb, "org.libvirt.Error.InvalidArg");
}

static gboolean
accepts_empty_parameters(const Outcome *vb, const Outcome *ref)
{
        return is_error(vb, "org.libvirt.Error.InvalidArg") && strstr(vb->error_text, "unsupported flags") &&
               g_strcmp0(ref->reply, "(@a{sv} {},)") == 0;
}

static gboolean
accepts_refused_early(const Outcome *vb, const Outcome *ref)
{
        return is_error(vb, "org.freedesktop.DBus.Error.InvalidArgs") && is_error(ref, "org.libvirt.Error");
}

/* Every difference the scripts may show, with its reason. The error names
 * (org.libvirt.Error in libvirt-dbus, org.libvirt.Error.<code> in virtbusd,
 * the same text) differ on every step and need no entry. */
static const Difference differences[] = {
        { "xml-check",
          "virtbusd checks caller XML with libxml2 before libvirt sees it and answers XmlError with the line and "
          "column of the fault; libvirt-dbus hands it to libvirt, whose parser words it otherwise",
          accepts_xml_check },
        { "unknown-object",
          "a path that names no object answers UnknownObject in virtbusd, which serves only the paths of objects "
          "that exist; libvirt-dbus serves every path below a connection and fails when it looks the object up "
          "(libvirt's not-found error, or UnknownMethod where the path does not parse)",
          accepts_unknown_object },
        { "unknown-object-getall",
          "the same for Properties.GetAll, which libvirt-dbus answers with an empty dictionary: it leaves out each "
          "property it fails to read",
          accepts_unknown_object_getall },
        { "connect-secure",
          "libvirt-dbus's Connect.Secure reports virConnectIsEncrypted (its getter asks the wrong question); "
          "virtbusd reports virConnectIsSecure: the test driver and a local socket are secure, not encrypted",
          accepts_connect_secure },
        { "bus-library",
          "errors the D-Bus library raises itself (a read-only or unknown property) are sd-bus's in virtbusd "
          "(PropertyReadOnly, UnknownProperty) and GDBus's in libvirt-dbus (InvalidArgs), each with its own words",
          accepts_bus_library },
        { "snapshot-lookup",
          "for a snapshot path that names no snapshot, libvirt-dbus frees the domain before it reads libvirt's "
          "error, which that clears: it answers \"unknown error\"; virtbusd answers libvirt's NoDomainSnapshot",
          accepts_snapshot_lookup },
        { "nodedev-no-parent",
          "a node device without a parent (the host, \"computer\") has Parent \"\" in virtbusd, so that every "
          "object has every property in GetAll and the ObjectManager; libvirt-dbus fails the read with libvirt's "
          "error and leaves Parent out of GetAll",
          accepts_nodedev_no_parent },
        { "metadata-signal",
          "libvirt-dbus's MetadataChange for a title or description carries no valid namespace string (libvirt's "
          "NULL goes to g_variant_new); virtbusd sends \"\"",
          NULL, accepts_metadata_signal },
        { "reference-aborts",
          "libvirt-dbus aborts on this call (SetGuestVcpus frees memory it does not own while it builds libvirt's "
          "CPU list): the step runs against virtbusd only",
          accepts_not_run, NULL, TRUE },
        { "flags-passed",
          "virtbusd passes the caller's flags to libvirt (GetSchedulerParameters, GetDiskErrors), which refuses "
          "these; libvirt-dbus asks with flags of its own whatever the caller said",
          accepts_flags_passed },
        { "empty-parameters",
          "GetBlockIOParameters: virtbusd answers libvirt's error when libvirt cannot say how many parameters "
          "there are; libvirt-dbus answers an empty dictionary",
          accepts_empty_parameters },
        { "refused-early",
          "virtbusd refuses with InvalidArgs, before libvirt sees it, a host path that is not absolute or lies in "
          "no existing directory, a peek larger than libvirt's protocol carries (4 MiB: BlockPeek, MemoryPeek), a "
          "peer-to-peer migration without a destination; libvirt-dbus hands it to libvirt, which answers its own "
          "error",
          accepts_refused_early },
};

/* Values libvirt itself gives differently from one run to the next (clocks,
 * mostly): masked in both daemons' replies before they are compared. */
static const struct {
        const char *target; /* NULL: every target */
        const char *iface;
        const char *member;
        const char *pattern;
        const char *replacement;
        const char *reason;
} volatile_values[] = {
        { NULL, "org.libvirt.DomainSnapshot", "GetXMLDesc", "<creationTime>[0-9]+</creationTime>",
          "<creationTime>(masked)</creationTime>", "the second the snapshot was taken" },
        { "libvirtd", "org.libvirt.StoragePool", "GetInfo", "uint64 [0-9]+", "uint64 (masked)",
          "the space a directory pool's file system has and uses, which other processes change" },
        { "libvirtd", "org.libvirt.StoragePool", "GetXMLDesc",
          "<(capacity|allocation|available) unit='bytes'>[0-9]+</", "<\\1 unit='bytes'>(masked)</",
          "the same" },
        { "libvirtd", "org.libvirt.StorageVol", "GetXMLDesc", "<timestamps>.*?</timestamps>",
          "<timestamps>(masked)</timestamps>", "when the file was last read and written" },
};

/* virtbusd's own properties, which libvirt-dbus lacks: left out of
 * virtbusd's GetAll before it is compared. */
static const struct {
        const char *iface;
        const char *property;
} extension_properties[] = {
        { "org.libvirt.Connect", "Connected" },
        { "org.libvirt.Domain", "Job" },
        { "org.libvirt.Domain", "State" },
        { "org.libvirt.Domain", "StateReason" },
};

/* ---- the reference interfaces --------------------------------------------------- */

static GHashTable *interfaces; /* name -> GDBusInterfaceInfo */

static const char *
reference_interface_dir(void)
{
        const char *dir = g_getenv("VIRTBUS_REFERENCE_INTERFACES");
        return dir && *dir ? dir : "/usr/share/dbus-1/interfaces";
}

static void
load_interfaces(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) dir = NULL;
        const char *name;

        if (interfaces)
                return;
        interfaces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)g_dbus_interface_info_unref);
        dir = g_dir_open(reference_interface_dir(), 0, &error);
        g_assert_no_error(error);
        while ((name = g_dir_read_name(dir))) {
                g_autofree gchar *file = NULL;
                g_autofree gchar *xml = NULL;
                g_autoptr(GDBusNodeInfo) node = NULL;

                if (!g_str_has_prefix(name, IFACE_PREFIX) || !g_str_has_suffix(name, ".xml"))
                        continue;
                file = g_build_filename(reference_interface_dir(), name, NULL);
                g_file_get_contents(file, &xml, NULL, &error);
                g_assert_no_error(error);
                node = g_dbus_node_info_new_for_xml(xml, &error);
                g_assert_no_error(error);
                for (GDBusInterfaceInfo **i = node->interfaces; i && *i; i++)
                        g_hash_table_insert(interfaces, g_strdup((*i)->name), g_dbus_interface_info_ref(*i));
        }
        g_assert_cmpuint(g_hash_table_size(interfaces), ==, 10);
}

static gchar *
args_signature(GDBusArgInfo **args)
{
        GString *s = g_string_new("(");
        for (GDBusArgInfo **a = args; a && *a; a++)
                g_string_append(s, (*a)->signature);
        g_string_append_c(s, ')');
        return g_string_free(s, FALSE);
}

/* ---- scripts -------------------------------------------------------------------- */

static void
step_free(gpointer p)
{
        Step *st = p;
        g_free(st->text);
        g_free(st->path);
        g_free(st->iface);
        g_free(st->member);
        g_clear_pointer(&st->args, g_variant_unref);
        g_free(st);
}

static void
script_free(Script *s)
{
        g_free(s->file);
        g_ptr_array_unref(s->steps);
        g_ptr_array_unref(s->cover);
        g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Script, script_free)

static G_NORETURN void
script_error(const char *file, guint line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
script_error(const char *file, guint line, const char *fmt, ...)
{
        va_list ap;
        g_autofree gchar *msg = NULL;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_error("%s:%u: %s", file, line, msg);
}

/* ${NAME} replaced by its value. */
static gchar *
expand(const char *file, guint line, const char *text, GHashTable *vars)
{
        GString *out = g_string_new(NULL);
        const char *p = text;

        for (;;) {
                const char *start = strstr(p, "${");
                const char *end;
                g_autofree gchar *name = NULL;
                const char *value;

                if (!start) {
                        g_string_append(out, p);
                        break;
                }
                end = strchr(start, '}');
                if (!end)
                        script_error(file, line, "unterminated ${");
                g_string_append_len(out, p, start - p);
                name = g_strndup(start + 2, end - start - 2);
                value = g_hash_table_lookup(vars, name);
                if (!value)
                        script_error(file, line, "no variable %s", name);
                g_string_append(out, value);
                p = end + 1;
        }
        return g_string_free(out, FALSE);
}

static gchar *
full_interface(const char *name)
{
        return g_str_has_prefix(name, IFACE_PREFIX) ? g_strdup(name) : g_strconcat(IFACE_PREFIX, name, NULL);
}

static GDBusInterfaceInfo *
interface_or_die(const char *file, guint line, const char *name)
{
        GDBusInterfaceInfo *info = g_hash_table_lookup(interfaces, name);
        if (!info)
                script_error(file, line, "libvirt-dbus has no interface %s", name);
        return info;
}

static GVariant *
parse_value(const char *file, guint line, const char *type, const char *text)
{
        g_autoptr(GError) error = NULL;
        GVariant *v = g_variant_parse(type ? G_VARIANT_TYPE(type) : NULL, text, NULL, NULL, &error);

        if (!v)
                script_error(file, line, "%s is not a GVariant of type %s: %s", text, type ? type : "(any)", error->message);
        return g_variant_ref_sink(v);
}

/* IFACE.MEMBER, split at the last dot. */
static void
split_member(const char *file, guint line, const char *word, gchar **iface, gchar **member)
{
        const char *dot = strrchr(word, '.');
        g_autofree gchar *short_iface = NULL;

        if (!dot)
                script_error(file, line, "%s is not INTERFACE.MEMBER", word);
        short_iface = g_strndup(word, dot - word);
        *iface = full_interface(short_iface);
        *member = g_strdup(dot + 1);
}

static void
parse_step(Script *s, guint line, const char *text, GHashTable *vars)
{
        g_autofree gchar *body = g_strdup(text);
        g_auto(GStrv) words = NULL;
        Step *st;
        char *bang;
        const char *diff = NULL;

        /* A trailing " !name" names the accepted difference. */
        bang = strrchr(body, '!');
        if (bang && bang > body && g_ascii_isspace(bang[-1]) && !strpbrk(bang, " \t\"'")) {
                diff = bang + 1;
                *bang = '\0';
                g_strchomp(body);
        }
        words = g_strsplit_set(body, " \t", 4);
        if (g_str_equal(body, "unbarrier")) {
                /* No path: a placeholder keeps the step's fields filled. */
                g_strfreev(words);
                words = g_strsplit("unbarrier /", " ", 2);
        }
        if (!words[0] || !words[1])
                script_error(s->file, line, "a step needs a verb and a path");

        st = g_new0(Step, 1);
        st->line = line;
        st->text = g_strdup(text);
        st->path = g_strdup(words[1]);
        if (!g_variant_is_object_path(st->path))
                script_error(s->file, line, "%s is not an object path", st->path);
        if (diff) {
                for (gsize i = 0; i < G_N_ELEMENTS(differences); i++)
                        if (g_str_equal(differences[i].name, diff))
                                st->diff = &differences[i];
                if (!st->diff)
                        script_error(s->file, line, "no difference named %s", diff);
        }

        if (g_str_equal(words[0], "barrier")) {
                st->kind = STEP_BARRIER;
        } else if (g_str_equal(words[0], "unbarrier")) {
                st->kind = STEP_UNBARRIER;
        } else if (g_str_equal(words[0], "getall")) {
                if (!words[2])
                        script_error(s->file, line, "getall PATH INTERFACE");
                st->kind = STEP_GETALL;
                st->iface = full_interface(words[2]);
                interface_or_die(s->file, line, st->iface);
        } else if (g_str_equal(words[0], "call") || g_str_equal(words[0], "get") || g_str_equal(words[0], "set")) {
                GDBusInterfaceInfo *info;
                if (!words[2])
                        script_error(s->file, line, "%s PATH INTERFACE.MEMBER", words[0]);
                split_member(s->file, line, words[2], &st->iface, &st->member);
                info = interface_or_die(s->file, line, st->iface);
                if (g_str_equal(words[0], "call")) {
                        GDBusMethodInfo *m = g_dbus_interface_info_lookup_method(info, st->member);
                        g_autofree gchar *sig = NULL;
                        if (!m)
                                script_error(s->file, line, "%s has no method %s", st->iface, st->member);
                        sig = args_signature(m->in_args);
                        st->kind = STEP_CALL;
                        st->args = parse_value(s->file, line, sig, words[3] ? words[3] : "()");
                } else {
                        /* A property the interface lacks is fine: asking
                         * for one is a step like any other. */
                        GDBusPropertyInfo *p = g_dbus_interface_info_lookup_property(info, st->member);
                        if (g_str_equal(words[0], "get")) {
                                st->kind = STEP_GET;
                                if (words[3])
                                        script_error(s->file, line, "get takes no value");
                        } else {
                                st->kind = STEP_SET;
                                if (!words[3])
                                        script_error(s->file, line, "set needs a value");
                                st->args = parse_value(s->file, line, p ? p->signature : NULL, words[3]);
                        }
                }
        } else {
                script_error(s->file, line, "unknown verb %s", words[0]);
        }
        g_ptr_array_add(s->steps, st);
}

/* Reads differential/@name.script with the variables @preset (NAME=value,
 * NULL-terminated) set. */
static Script *
script_load(const char *name, const char *const *preset)
{
        const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
        g_autoptr(GError) error = NULL;
        g_autofree gchar *content = NULL;
        g_autofree gchar *file_name = g_strconcat(name, ".script", NULL);
        g_autoptr(GHashTable) vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_auto(GStrv) lines = NULL;
        Script *s = g_new0(Script, 1);

        load_interfaces();
        s->file = g_build_filename(srcdir ? srcdir : ".", "tests", "differential", file_name, NULL);
        s->steps = g_ptr_array_new_with_free_func(step_free);
        s->cover = g_ptr_array_new_with_free_func(g_free);
        for (const char *const *p = preset; p && *p; p++) {
                g_auto(GStrv) kv = g_strsplit(*p, "=", 2);
                g_hash_table_insert(vars, g_strdup(kv[0]), g_strdup(kv[1]));
        }
        g_file_get_contents(s->file, &content, NULL, &error);
        g_assert_no_error(error);
        lines = g_strsplit(content, "\n", -1);

        for (guint i = 0; lines[i]; i++) {
                guint line = i + 1;
                g_autoptr(GString) joined = g_string_new(g_strstrip(lines[i]));
                g_autofree gchar *text = NULL;

                while (joined->len && joined->str[joined->len - 1] == '\\' && lines[i + 1]) {
                        g_string_truncate(joined, joined->len - 1);
                        g_string_append(joined, g_strchug(lines[++i]));
                }
                if (joined->len == 0 || joined->str[0] == '#')
                        continue;
                text = expand(s->file, line, joined->str, vars);

                if (g_str_has_prefix(text, "let ")) {
                        g_auto(GStrv) kv = g_strsplit_set(text + 4, " \t", 2);
                        if (!kv[0] || !kv[1])
                                script_error(s->file, line, "let NAME VALUE");
                        g_hash_table_insert(vars, g_strdup(kv[0]), g_strdup(g_strstrip(kv[1])));
                } else if (g_str_has_prefix(text, "cover ")) {
                        g_auto(GStrv) names = g_strsplit_set(text + 6, " \t", -1);
                        for (gchar **n = names; *n; n++) {
                                if (!**n)
                                        continue;
                                g_autofree gchar *full = full_interface(*n);
                                interface_or_die(s->file, line, full);
                                g_ptr_array_add(s->cover, g_steal_pointer(&full));
                        }
                } else {
                        parse_step(s, line, text, vars);
                }
        }
        return s;
}

/* ---- running a script ----------------------------------------------------------- */

static gint
compare_printed(gconstpointer a, gconstpointer b)
{
        GVariant *va = *(GVariant *const *)a, *vb = *(GVariant *const *)b;
        g_autoptr(GVariant) ka = g_variant_is_of_type(va, G_VARIANT_TYPE_DICT_ENTRY) ? g_variant_get_child_value(va, 0)
                                                                                     : g_variant_ref(va);
        g_autoptr(GVariant) kb = g_variant_is_of_type(vb, G_VARIANT_TYPE_DICT_ENTRY) ? g_variant_get_child_value(vb, 0)
                                                                                     : g_variant_ref(vb);
        g_autofree gchar *pa = g_variant_print(ka, FALSE);
        g_autofree gchar *pb = g_variant_print(kb, FALSE);
        return strcmp(pa, pb);
}

/* @v with the entries of every dictionary and every list of object paths in
 * order: libvirt keeps its objects in hash tables, whose order differs from
 * one process to the next. Returns a new reference. */
static GVariant *
canonical(GVariant *v)
{
        const GVariantType *t = g_variant_get_type(v);
        g_autoptr(GPtrArray) children = NULL;
        gsize n;
        GVariant *out;

        if (!g_variant_type_is_container(t))
                return g_variant_ref(v);
        if (g_variant_type_is_variant(t)) {
                g_autoptr(GVariant) inner = g_variant_get_variant(v);
                g_autoptr(GVariant) c = canonical(inner);
                return g_variant_ref_sink(g_variant_new_variant(c));
        }
        n = g_variant_n_children(v);
        children = g_ptr_array_new_full(n, (GDestroyNotify)g_variant_unref);
        for (gsize i = 0; i < n; i++) {
                g_autoptr(GVariant) child = g_variant_get_child_value(v, i);
                g_ptr_array_add(children, canonical(child));
        }
        if (g_variant_type_is_array(t)) {
                const GVariantType *e = g_variant_type_element(t);
                if (g_variant_type_is_dict_entry(e) || g_variant_type_equal(e, G_VARIANT_TYPE_OBJECT_PATH))
                        g_ptr_array_sort(children, compare_printed);
                out = g_variant_new_array(e, (GVariant **)children->pdata, n);
        } else if (g_variant_type_is_dict_entry(t)) {
                out = g_variant_new_dict_entry(children->pdata[0], children->pdata[1]);
        } else {
                out = g_variant_new_tuple((GVariant **)children->pdata, n);
        }
        return g_variant_ref_sink(out);
}

/* GetAll's a{sv} without virtbusd's own properties. */
static GVariant *
without_extensions(GVariant *reply, const char *iface)
{
        g_autoptr(GVariant) dict = g_variant_get_child_value(reply, 0);
        GVariantBuilder b;
        GVariantIter it;
        const char *name;
        GVariant *value;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_iter_init(&it, dict);
        while (g_variant_iter_next(&it, "{&sv}", &name, &value)) {
                gboolean extension = FALSE;
                for (gsize i = 0; i < G_N_ELEMENTS(extension_properties); i++)
                        extension |= g_str_equal(extension_properties[i].iface, iface) &&
                                     g_str_equal(extension_properties[i].property, name);
                if (!extension)
                        g_variant_builder_add(&b, "{sv}", name, value);
                g_variant_unref(value);
        }
        return g_variant_ref_sink(g_variant_new("(a{sv})", &b));
}

static gchar *
mask(const Step *st, gchar *text)
{
        const char *iface = st->kind == STEP_CALL ? st->iface : NULL;

        if (!text || !iface)
                return text;
        for (gsize i = 0; i < G_N_ELEMENTS(volatile_values); i++) {
                g_autoptr(GRegex) re = NULL;
                gchar *masked;
                if ((volatile_values[i].target && !g_str_equal(volatile_values[i].target, target.name)) ||
                    !g_str_equal(volatile_values[i].iface, iface) ||
                    (volatile_values[i].member && !g_str_equal(volatile_values[i].member, st->member)))
                        continue;
                re = g_regex_new(volatile_values[i].pattern, G_REGEX_DOTALL, 0, NULL);
                g_assert_nonnull(re);
                masked = g_regex_replace(re, text, -1, 0, volatile_values[i].replacement, 0, NULL);
                g_assert_nonnull(masked);
                g_free(text);
                text = masked;
        }
        return text;
}

typedef struct {
        VbFixture *f;
        gboolean virtbusd;
        const char *barrier; /* the barrier pool, once the script named it */
        guint next_signal;   /* the first of f->signals no step has taken yet */
} Run;

static void
outcome_free(gpointer p)
{
        Outcome *o = p;
        g_free(o->reply);
        g_free(o->error_name);
        g_free(o->error_text);
        g_ptr_array_unref(o->signals);
        g_free(o);
}

static void
barrier(Run *r)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = g_dbus_connection_call_sync(r->f->bus, VB_BUS_NAME, r->barrier,
                                                                "org.libvirt.StoragePool", "Refresh",
                                                                g_variant_new("(u)", 0), G_VARIANT_TYPE("()"),
                                                                G_DBUS_CALL_FLAGS_NONE, VB_CALL_TIMEOUT_MS, NULL,
                                                                &error);
        if (!reply)
                g_error("refreshing the barrier pool %s: %s", r->barrier, error->message);
        if (!vb_wait_signal(r->f, r->barrier, "org.libvirt.StoragePool", "Refresh", NULL, NULL,
                            BARRIER_TIMEOUT_MS)) {
                g_autofree gchar *seen = vb_signals_describe(r->f);
                g_error("no Refresh signal from the barrier pool %s; signals:%s", r->barrier, seen);
        }
}

/* The org.libvirt signals received since the last step, barriers left out. */
static GPtrArray *
collect_signals(Run *r)
{
        GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

        vb_process_events(r->f);
        for (; r->next_signal < r->f->signals->len; r->next_signal++) {
                VbSignal *sig = g_ptr_array_index(r->f->signals, r->next_signal);
                g_autoptr(GVariant) params = NULL;
                g_autofree gchar *text = NULL;

                if (!g_str_has_prefix(sig->interface, IFACE_PREFIX))
                        continue;
                /* org.libvirt.Job is virtbusd's own interface. */
                if (g_str_equal(sig->interface, "org.libvirt.Job"))
                        continue;
                if (sig->consumed && r->barrier && g_str_equal(sig->path, r->barrier) &&
                    g_str_equal(sig->member, "Refresh"))
                        continue;
                params = canonical(sig->params);
                text = g_variant_print(params, TRUE);
                g_ptr_array_add(out, g_strdup_printf("%s %s.%s %s", sig->path, sig->interface, sig->member, text));
        }
        return out;
}

static Outcome *
perform(Run *r, const Step *st)
{
        Outcome *o = g_new0(Outcome, 1);
        const char *iface = st->iface;
        const char *method = st->member;
        GVariant *args = NULL;

        switch (st->kind) {
        case STEP_CALL:
                args = st->args;
                break;
        case STEP_GET:
                iface = VB_IFACE_PROPERTIES;
                method = "Get";
                args = g_variant_new("(ss)", st->iface, st->member);
                break;
        case STEP_SET:
                iface = VB_IFACE_PROPERTIES;
                method = "Set";
                args = g_variant_new("(ssv)", st->iface, st->member, st->args);
                break;
        case STEP_GETALL:
                iface = VB_IFACE_PROPERTIES;
                method = "GetAll";
                args = g_variant_new("(s)", st->iface);
                break;
        case STEP_BARRIER:
                r->barrier = st->path;
                o->reply = g_strdup("(a barrier)");
                break;
        case STEP_UNBARRIER:
                o->reply = g_strdup("(the last barrier)");
                break;
        }

        if (st->kind >= STEP_BARRIER) {
                /* Nothing to call. */
        } else if (!r->virtbusd && st->diff && st->diff->skip_reference) {
                o->reply = g_strdup(NOT_RUN);
        } else {
                g_autoptr(GError) error = NULL;
                g_autoptr(GUnixFDList) fds = NULL;
                g_autoptr(GVariant) reply = NULL;

                reply = g_dbus_connection_call_with_unix_fd_list_sync(r->f->bus, VB_BUS_NAME, st->path, iface, method,
                                                                      args, NULL, G_DBUS_CALL_FLAGS_NONE,
                                                                      VB_CALL_TIMEOUT_MS, NULL, &fds, NULL, &error);
                if (reply) {
                        g_autoptr(GVariant) plain = st->kind == STEP_GETALL && r->virtbusd
                                                            ? without_extensions(reply, st->iface)
                                                            : g_variant_ref(reply);
                        g_autoptr(GVariant) c = canonical(plain);
                        g_autofree gchar *text = g_variant_print(c, TRUE);
                        /* Descriptors differ in number from one process to
                         * the next: only how many came counts. */
                        o->reply = fds ? g_strdup_printf("%s with %d descriptors", text, g_unix_fd_list_get_length(fds))
                                       : g_steal_pointer(&text);
                } else {
                        o->error_name = g_dbus_error_get_remote_error(error);
                        g_dbus_error_strip_remote_error(error);
                        o->error_text = g_strdup(error->message);
                        if (!o->error_name)
                                o->error_name = g_strdup("(no D-Bus error)");
                }
        }
        o->reply = mask(st, o->reply);
        o->error_text = mask(st, o->error_text);
        /* Until the script has named its barrier, the signals wait for the
         * first one. */
        if (r->barrier)
                barrier(r);
        o->signals = r->barrier ? collect_signals(r) : g_ptr_array_new_with_free_func(g_free);
        if (st->kind == STEP_UNBARRIER)
                r->barrier = NULL;
        return o;
}

static gchar *
outcome_describe(const Outcome *o)
{
        GString *s = g_string_new(NULL);

        if (o->reply)
                g_string_append_printf(s, "reply %s", o->reply);
        else
                g_string_append_printf(s, "error %s: %s", o->error_name, o->error_text);
        for (guint i = 0; i < o->signals->len; i++)
                g_string_append_printf(s, "\n      signal %s", (const char *)o->signals->pdata[i]);
        return g_string_free(s, FALSE);
}

static void
write_log(const Script *s, GPtrArray *outcomes, const char *who)
{
        const char *dir = g_getenv("VIRTBUS_DIFFERENTIAL_LOG");
        g_autoptr(GString) text = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_autofree gchar *file = NULL;

        if (!dir || !*dir)
                return;
        for (guint i = 0; i < outcomes->len; i++) {
                const Step *st = s->steps->pdata[i];
                g_autofree gchar *d = outcome_describe(outcomes->pdata[i]);
                g_string_append_printf(text, "%u: %s\n    %s\n", st->line, st->text, d);
        }
        g_mkdir_with_parents(dir, 0755);
        file = g_build_filename(dir, who, NULL);
        g_file_set_contents(file, text->str, -1, &error);
        g_assert_no_error(error);
}

static GPtrArray *
run_script(VbFixture *f, const Script *s, gboolean virtbusd)
{
        GPtrArray *outcomes = g_ptr_array_new_with_free_func(outcome_free);
        Run r = { .f = f, .virtbusd = virtbusd };

        /* What came before the first step (start-up) is not compared. */
        vb_process_events(f);
        r.next_signal = f->signals->len;
        for (guint i = 0; i < s->steps->len; i++)
                g_ptr_array_add(outcomes, perform(&r, s->steps->pdata[i]));
        g_assert_true(vb_daemon_alive(f));
        return outcomes;
}

/* ---- comparing ------------------------------------------------------------------ */

static gboolean
same_reply(const Outcome *vb, const Outcome *ref)
{
        if (vb->reply || ref->reply)
                return vb->reply && ref->reply && g_str_equal(vb->reply, ref->reply);
        if (!g_str_equal(vb->error_text, ref->error_text))
                return FALSE;
        /* libvirt-dbus answers every libvirt error as org.libvirt.Error;
         * virtbusd names it after libvirt's code. */
        if (g_str_equal(ref->error_name, "org.libvirt.Error"))
                return is_libvirt_error_name(vb->error_name);
        return g_str_equal(vb->error_name, ref->error_name);
}

static gboolean
same_signals(const Outcome *vb, const Outcome *ref)
{
        if (vb->signals->len != ref->signals->len)
                return FALSE;
        for (guint i = 0; i < vb->signals->len; i++)
                if (!g_str_equal(vb->signals->pdata[i], ref->signals->pdata[i]))
                        return FALSE;
        return TRUE;
}

/* Adds to @report what is wrong with step @st; returns whether anything is. */
static gboolean
compare_step(const Step *st, const Outcome *vb, const Outcome *ref, GString *report)
{
        gboolean reply_same = same_reply(vb, ref);
        gboolean signals_same = same_signals(vb, ref);
        const char *problem = NULL;

        if (!st->diff) {
                if (!reply_same)
                        problem = "the replies differ";
                else if (!signals_same)
                        problem = "the signals differ";
        } else if (reply_same && signals_same) {
                problem = "no difference any more: the step names one it does not show";
        } else if (!reply_same && !(st->diff->accepts && st->diff->accepts(vb, ref))) {
                problem = "the replies differ otherwise than the step's difference says";
        } else if (!signals_same && !(st->diff->accepts_signals && st->diff->accepts_signals(vb, ref))) {
                problem = "the signals differ otherwise than the step's difference says";
        }
        if (!problem)
                return FALSE;

        g_autofree gchar *a = outcome_describe(vb);
        g_autofree gchar *b = outcome_describe(ref);
        g_string_append_printf(report, "\nline %u: %s\n  %s%s%s\n  virtbusd:     %s\n  libvirt-dbus: %s\n", st->line,
                               st->text, problem, st->diff ? ": !" : "", st->diff ? st->diff->name : "", a, b);
        return TRUE;
}

/* ---- the targets ---------------------------------------------------------------- */


static void
reset_scratch(void)
{
        vb_remove_tree(target.scratch);
        g_assert_cmpint(g_mkdir_with_parents(target.scratch, 0755), ==, 0);
}

/* @text as libvirt-dbus writes it into an object path: [A-Za-z0-9] as they
 * are, any other byte as _ and two hex digits. */
static gchar *
path_encode(const char *text)
{
        GString *s = g_string_new(NULL);

        for (const guchar *p = (const guchar *)text; *p; p++) {
                if (g_ascii_isalnum(*p))
                        g_string_append_c(s, (gchar)*p);
                else
                        g_string_append_printf(s, "_%02x", *p);
        }
        return g_string_free(s, FALSE);
}

static Script *
load_target_script(const char *name)
{
        const char *dir = target.scratch ? target.scratch : "/nonexistent";
        g_autofree gchar *encoded = path_encode(dir);
        g_autofree gchar *scratch = g_strconcat("SCRATCH=", dir, NULL);
        g_autofree gchar *scratch_path = g_strconcat("SCRATCH_PATH=", encoded, NULL);
        const char *vars[] = { scratch, scratch_path, NULL };
        return script_load(name, vars);
}

static void
test_compare(VbFixture *f, gconstpointer data)
{
        g_autoptr(Script) s = load_target_script(target.name);
        g_autoptr(GPtrArray) vb = NULL;
        g_autoptr(GPtrArray) ref = NULL;
        g_autoptr(GString) report = g_string_new(NULL);
        VbFixture g = { 0 };
        guint bad = 0, errors = 0, signals = 0;

        /* @f runs virtbusd; libvirt-dbus comes second, once it has gone. */
        reset_scratch();
        vb = run_script(f, s, TRUE);
        vb_stop_daemon(f);
        write_log(s, vb, "virtbusd");

        reset_scratch();
        vb_fixture_setup(&g, &target.reference);
        ref = run_script(&g, s, FALSE);
        vb_fixture_teardown(&g, NULL);
        write_log(s, ref, "libvirt-dbus");

        for (guint i = 0; i < s->steps->len; i++) {
                const Outcome *o = vb->pdata[i];
                bad += compare_step(s->steps->pdata[i], o, ref->pdata[i], report);
                errors += o->reply == NULL;
                signals += o->signals->len;
        }
        /* A case's own stdout is not shown: the parent reads its TAP. */
        g_printerr("%s: %u steps (%u of them errors), %u signals; %u differ\n", s->file, s->steps->len, errors,
                   signals, bad);
        if (bad) {
                g_printerr("%u of %u steps differ between virtbusd and libvirt-dbus:%s", bad, s->steps->len,
                           report->str);
                g_test_fail();
        }
}

/* Every method, property and writable property of every interface a script
 * covers appears in it, and the scripts together cover every interface of
 * libvirt-dbus. Nothing is started. */
static void
test_coverage(void)
{
        static const char *const scripts[] = { "test-driver", "libvirtd" };
        g_autoptr(GHashTable) covered = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GString) missing = g_string_new(NULL);
        GHashTableIter it;
        gpointer key;

        for (gsize n = 0; n < G_N_ELEMENTS(scripts); n++) {
                g_autoptr(Script) s = load_target_script(scripts[n]);
                g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

                for (guint i = 0; i < s->steps->len; i++) {
                        const Step *st = s->steps->pdata[i];
                        static const char *const verbs[] = { "call", "get", "set", "getall", "barrier", "unbarrier" };
                        g_hash_table_add(seen, g_strdup_printf("%s %s.%s", verbs[st->kind], st->iface ? st->iface : "",
                                                               st->member ? st->member : ""));
                }
                for (guint c = 0; c < s->cover->len; c++) {
                        const char *name = s->cover->pdata[c];
                        GDBusInterfaceInfo *info = g_hash_table_lookup(interfaces, name);
                        g_autofree gchar *all = g_strdup_printf("getall %s.", name);

                        g_hash_table_add(covered, (gpointer)g_intern_string(name));
                        if (!g_hash_table_contains(seen, all))
                                g_string_append_printf(missing, "\n  %s: getall %s", scripts[n], name);
                        for (GDBusMethodInfo **m = info->methods; m && *m; m++) {
                                g_autofree gchar *k = g_strdup_printf("call %s.%s", name, (*m)->name);
                                if (!g_hash_table_contains(seen, k))
                                        g_string_append_printf(missing, "\n  %s: %s", scripts[n], k);
                        }
                        for (GDBusPropertyInfo **p = info->properties; p && *p; p++) {
                                g_autofree gchar *get = g_strdup_printf("get %s.%s", name, (*p)->name);
                                g_autofree gchar *set = g_strdup_printf("set %s.%s", name, (*p)->name);
                                if (!g_hash_table_contains(seen, get))
                                        g_string_append_printf(missing, "\n  %s: %s", scripts[n], get);
                                if ((*p)->flags & G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE &&
                                    !g_hash_table_contains(seen, set))
                                        g_string_append_printf(missing, "\n  %s: %s", scripts[n], set);
                        }
                }
        }
        g_hash_table_iter_init(&it, interfaces);
        while (g_hash_table_iter_next(&it, &key, NULL))
                if (!g_hash_table_contains(covered, g_intern_string(key)))
                        g_string_append_printf(missing, "\n  no script covers %s", (const char *)key);
        if (missing->len) {
                g_test_message("members no differential script exercises:%s", missing->str);
                g_test_fail();
        }
}

/* ---- a private libvirtd --------------------------------------------------------- */

/* libvirtd goes with the program even when the test runner interrupts it. */
static const char *stop_argv[5];

static const char *
libvirtd_missing(void)
{
        static const char *const programs[] = { "libvirtd", "virsh", "unshare", "nsenter" };

        if (geteuid() != 0)
                return "needs root (a private libvirtd in its own mount namespace)";
        for (gsize i = 0; i < G_N_ELEMENTS(programs); i++) {
                g_autofree gchar *p = g_find_program_in_path(programs[i]);
                g_autofree gchar *sbin = g_build_filename("/usr/sbin", programs[i], NULL);
                if (!p && !g_file_test(sbin, G_FILE_TEST_IS_EXECUTABLE))
                        return "needs libvirtd, virsh, unshare and nsenter";
        }
        if (!g_file_test(target.lv_script, G_FILE_TEST_IS_EXECUTABLE))
                return "tests/libvirtd/start-libvirtd not found (VIRTBUS_SRCDIR)";
        return NULL;
}

/* Starts the program's libvirtd (in the parent) or finds it (in a case's
 * child); returns why it cannot, or NULL. */
static gchar *
libvirtd_prepare(gboolean *owner)
{
        const char *why;

        if (g_test_subprocess()) {
                target.lv_dir = g_strdup(g_getenv("VIRTBUS_DIFFERENTIAL_DIR"));
                if (!target.lv_dir)
                        return g_strdup("no libvirtd");
        } else {
                g_autoptr(GError) error = NULL;
                g_autofree gchar *err = NULL;
                gint status;

                if ((why = libvirtd_missing()))
                        return g_strdup(why);
                target.lv_dir = g_strdup("/var/tmp/virtbus-differential-XXXXXX");
                g_assert_nonnull(g_mkdtemp(target.lv_dir));
                chmod(target.lv_dir, 0755);
                *owner = TRUE;
                stop_argv[0] = target.lv_script;
                stop_argv[1] = "stop";
                stop_argv[2] = "--guests";
                stop_argv[3] = target.lv_dir;
                vb_cleanup_on_interrupt(stop_argv, NULL);
                const char *start[] = { target.lv_script, "start", target.lv_dir, NULL };
                g_spawn_sync(NULL, (gchar **)start, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
                             &error);
                if (error || !g_spawn_check_wait_status(status, NULL))
                        return g_strdup_printf("could not start libvirtd: %s%s", error ? error->message : "",
                                               err ? err : "");
                g_setenv("VIRTBUS_DIFFERENTIAL_DIR", target.lv_dir, TRUE);
        }
        target.lv_uri = g_strdup_printf("qemu+unix:///system?socket=%s/run/libvirt/libvirt-sock", target.lv_dir);
        target.connect_arg = g_strdup_printf("QEMU=%s", target.lv_uri);
        target.virtbusd_args[0] = "--connect";
        target.virtbusd_args[1] = target.connect_arg;
        target.virtbusd.extra_args = target.virtbusd_args;
        target.wrapper[0] = target.lv_script;
        target.wrapper[1] = "exec";
        target.wrapper[2] = target.lv_dir;
        target.reference.reference_wrapper = target.wrapper;
        /* Inside libvirtd's directory, which its namespace can reach. */
        target.scratch = g_build_filename(target.lv_dir, "scratch", NULL);
        return NULL;
}

static void
skip_case(gconstpointer reason)
{
        g_test_skip(reason);
}

static void
fail_case(gconstpointer reason)
{
        g_test_message("%s", (const char *)reason);
        g_test_fail();
}

int
main(int argc, char **argv)
{
        const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
        const char *daemon = g_getenv("VIRTBUSD");
        gboolean owner = FALSE;
        g_autofree gchar *problem = NULL;
        g_autofree gchar *case_name = NULL;
        int ret;

        vb_init(&argc, &argv);
        target.name = g_getenv("VIRTBUS_DIFFERENTIAL") ? g_getenv("VIRTBUS_DIFFERENTIAL") : "test-driver";
        target.virtbusd.daemon = VB_DAEMON_VIRTBUSD;
        target.reference.daemon = VB_DAEMON_REFERENCE;
        target.lv_script = g_build_filename(srcdir ? srcdir : ".", "tests", "libvirtd", "start-libvirtd", NULL);
        case_name = g_strconcat("/differential/", target.name, NULL);

        g_test_add_func("/differential/coverage", test_coverage);
        if (!daemon || !g_file_test(daemon, G_FILE_TEST_IS_EXECUTABLE)) {
                g_test_add_data_func(case_name, "VIRTBUSD does not name virtbusd", skip_case);
        } else if (g_str_equal(target.name, "libvirtd")) {
                problem = libvirtd_prepare(&owner);
                if (problem && owner)
                        g_test_add_data_func(case_name, problem, fail_case);
                else if (problem)
                        g_test_add_data_func(case_name, problem, skip_case);
                else
                        vb_add_full(case_name, &target.virtbusd, test_compare);
        } else if (g_str_equal(target.name, "test-driver")) {
                target.scratch = g_build_filename(g_getenv("VIRTBUS_TEST_BUS_DIR"), "scratch", NULL);
                vb_add_full(case_name, &target.virtbusd, test_compare);
        } else {
                g_error("VIRTBUS_DIFFERENTIAL=%s: not test-driver or libvirtd", target.name);
        }

        ret = vb_run();

        if (owner) {
                const char *stop[] = { target.lv_script, "stop", "--guests", target.lv_dir, NULL };
                g_spawn_sync(NULL, (gchar **)stop, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                             NULL, NULL, NULL, NULL, NULL);
                vb_remove_tree(target.lv_dir);
        }
        return ret;
}
