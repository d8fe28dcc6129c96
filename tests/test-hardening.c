/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fairness, bounds and hostile callers, with a real polkitd and callers
 * running as other users (see polkit-harness.h).
 *
 * Ordering is proved, not timed: a polkit rule makes polkitd (which judges
 * one question at a time, in arrival order) log every question it judges,
 * and a rule can hold polkitd on a FIFO until the test opens it, so the
 * test decides when questions are answered. What the daemon holds
 * (verdicts, queued questions, calls, descriptors) comes from the test-only
 * object /org/virtbus/Test, compiled in with -Dtest_delay_seam=true.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "polkit-harness.h"

#define ACTION_PREFIX "org.libvirt.dbus."
#define SEAM_PATH "/org/virtbus/Test"
#define SEAM_IFACE "org.virtbus.Test"
#define DBUS_LIMITS_EXCEEDED "org.freedesktop.DBus.Error.LimitsExceeded"
/* The per-user bound on questions out at once that this program sets. */
#define PER_USER 4
#define STORM 40

/* ---- helpers ---------------------------------------------------------------- */

static guint
stat_get(VbpFixture *f, const char *name)
{
    g_autoptr(GVariant) r = vb_call_ok(&f->vb, SEAM_PATH, SEAM_IFACE, "Stats", NULL, "(a{su})");
    g_autoptr(GVariant) map = g_variant_get_child_value(r, 0);
    guint32 v = 0;
    if (!g_variant_lookup(map, name, "u", &v))
        g_error("the test seam has no count %s", name);
    return v;
}

static guint
subject_verdicts(VbpFixture *f, const char *name)
{
    g_autoptr(GVariant) r = vb_call_ok(&f->vb, SEAM_PATH, SEAM_IFACE, "SubjectVerdicts",
                                       g_variant_new("(s)", name), "(u)");
    guint32 v;
    g_variant_get(r, "(u)", &v);
    return v;
}

/* Waits until count @name satisfies @cmp @value (the daemon's state is the
 * barrier; each look is a call to the daemon). */
#define wait_stat(f, name, cmp, value) \
    G_STMT_START { \
        gint64 ws_deadline_ = g_get_monotonic_time() + 20 * G_USEC_PER_SEC; \
        guint ws_v_; \
        while (!((ws_v_ = stat_get((f), (name))) cmp (value))) { \
            if (g_get_monotonic_time() > ws_deadline_) \
                g_error("%s stayed at %u, wanted %s %u", (name), ws_v_, #cmp, (guint)(value)); \
            g_usleep(5000); \
        } \
    } G_STMT_END

static void
wait_file(const char *path)
{
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (g_get_monotonic_time() > deadline)
            g_error("%s never appeared", path);
        g_usleep(5000);
    }
}

static gchar *
scratch(VbpFixture *f, const char *name)
{
    return g_build_filename(vbp_polkit_scratch_dir(f->polkit), name, NULL);
}

static void
define_many(VbpFixture *f, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        g_autofree gchar *name = g_strdup_printf("%s-%03d", prefix, i);
        g_autofree gchar *path = vb_define_domain(&f->vb, name);
    }
}

static gchar **
read_lines(const char *path)
{
    g_autofree gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_new0(gchar *, 1);
    g_strchomp(text);
    return *text ? g_strsplit(text, "\n", -1) : g_new0(gchar *, 1);
}

/* ---- a polkitd the test holds ------------------------------------------------- */

/* Every question polkitd judges for alice or nobody is appended to LOG as
 * "<user> <action> <domain_name>". alice's first question matching
 * @hold_action (a prefix of the action) holds polkitd on FIFO until the
 * test writes to it. getattr, read and @allow_action are granted; the
 * other actions are left to their defaults. */
typedef struct {
    gchar *log;
    gchar *fifo;
    gchar *started;
} Hold;

static void
hold_free(Hold *h)
{
    g_free(h->log);
    g_free(h->fifo);
    g_free(h->started);
    g_free(h);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Hold, hold_free)

static Hold *
hold_install(VbpFixture *f, const char *hold_action, const char *allow_action)
{
    Hold *h = g_new0(Hold, 1);
    g_autofree gchar *latch = scratch(f, "latch");

    h->log = scratch(f, "log");
    h->fifo = scratch(f, "fifo");
    h->started = scratch(f, "held");
    g_assert_cmpint(mkfifo(h->fifo, 0666), ==, 0);
    g_assert_cmpint(chmod(h->fifo, 0666), ==, 0);
    g_autofree gchar *rule = g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (action.id.indexOf(\"" ACTION_PREFIX "\") != 0 ||\n"
        "        (subject.user != \"" VBP_USER_ALICE "\" && subject.user != \"" VBP_USER_NOBODY "\"))\n"
        "        return;\n"
        "    var name = action.lookup(\"domain_name\") || \"-\";\n"
        "    var hold = subject.user == \"" VBP_USER_ALICE "\" && action.id.indexOf(\"%s\") == 0 &&\n"
        "               (name == \"-\" || name.indexOf(\"storm-\") == 0);\n"
        "    polkit.spawn([\"/bin/sh\", \"-c\",\n"
        "        'if [ \"$4\" = true ] && mkdir \"$5\" 2>/dev/null; then touch \"$6\"; read x < \"$7\"; fi; '\n"
        "        + 'echo \"$1 $2 $3\" >> \"$8\"',\n"
        "        \"sh\", subject.user, action.id, name, hold ? \"true\" : \"false\",\n"
        "        \"%s\", \"%s\", \"%s\", \"%s\"]);\n"
        "    if (action.id == \"" ACTION_PREFIX "domain.getattr\" ||\n"
        "        action.id == \"" ACTION_PREFIX "domain.read\" ||\n"
        "        action.id == \"" ACTION_PREFIX "connect.getattr\" ||\n"
        "        action.id == \"" ACTION_PREFIX "connect.search-domains\" ||\n"
        "        action.id == \"%s\")\n"
        "        return polkit.Result.YES;\n"
        /* monitor would spare them every per-object question. */
        "    if (action.id == \"" ACTION_PREFIX "monitor\")\n"
        "        return polkit.Result.NO;\n"
        "});\n",
        hold_action, latch, h->started, h->fifo, h->log, allow_action ? allow_action : "-");
    vbp_polkit_set_rule(f->polkit, "10-hold.rules", rule);
    return h;
}

static void
hold_release(Hold *h)
{
    /* Not blocking: polkitd gives up a rule's helper after a while (on a
     * loaded machine the test may come later), and then there is no
     * reader and nothing left to release. */
    int fd = open(h->fifo, O_WRONLY | O_NONBLOCK);
    if (fd < 0) {
        g_assert_cmpint(errno, ==, ENXIO);
        g_test_message("polkitd had already let go of the held question");
        return;
    }
    g_assert_cmpint(write(fd, "go\n", 3), ==, 3);
    close(fd);
}

static guint
count_prefix(gchar **lines, guint upto, const char *prefix)
{
    guint n = 0;
    for (guint i = 0; i < upto && lines[i]; i++)
        n += g_str_has_prefix(lines[i], prefix);
    return n;
}

/* ---- fairness ------------------------------------------------------------------- */

/* alice storms with a list of STORM domains, nobody arrives with one cheap
 * call while all of alice's questions wait: every one of nobody's questions
 * is judged after at most PER_USER of alice's (one round of the queue),
 * never after the whole storm. */
static void
test_storm_fair(VbpFixture *f)
{
    define_many(f, "storm", STORM);
    g_autofree gchar *target = vb_domain_path(&f->vb, "storm-007");
    g_autoptr(Hold) h = hold_install(f, ACTION_PREFIX "domain.getattr", NULL);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);

    vbp_caller_send(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0), FALSE);
    wait_file(h->started);
    /* polkitd holds alice's first getattr; the daemon has sent as many as
     * a user may have out, and keeps the rest. */
    wait_stat(f, "auth-sent", ==, PER_USER);
    wait_stat(f, "auth-queued", ==, STORM + 1 - PER_USER);

    vbp_caller_send(nobody, target, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0), FALSE);
    /* nobody's first questions (manage and monitor) leave at once, beside
     * alice's, although alice has more queued than nobody will ever ask. */
    wait_stat(f, "auth-sent", ==, PER_USER + 2);
    hold_release(h);

    g_autoptr(VbpReply) n = vbp_caller_wait(nobody);
    g_assert_true(n->ok);
    g_autoptr(VbpReply) a = vbp_caller_wait(alice);
    g_assert_true(a->ok);
    g_autoptr(GVariant) paths = g_variant_get_child_value(a->value, 0);
    g_assert_cmpuint(g_variant_n_children(paths), ==, STORM + 1);

    g_auto(GStrv) lines = read_lines(h->log);
    const char *storm_q = VBP_USER_ALICE " " ACTION_PREFIX "domain.getattr ";
    guint total = g_strv_length(lines), last_alice = 0, nobody_lines = 0, prev = 0;
    for (guint i = 0; i < total; i++) {
        g_test_message("polkitd judged: %s", lines[i]);
        if (g_str_has_prefix(lines[i], storm_q))
            last_alice = i;
        if (!g_str_has_prefix(lines[i], VBP_USER_NOBODY " "))
            continue;
        /* alice's storm questions judged since nobody's previous one (or
         * since the storm began): at most one round of the queue. */
        guint between = count_prefix(lines, i, storm_q) - count_prefix(lines, prev, storm_q);
        g_assert_cmpuint(between, <=, PER_USER);
        prev = i;
        nobody_lines++;
    }
    /* manage, monitor, getattr and read of the domain. */
    g_assert_cmpuint(nobody_lines, ==, 4);
    /* nobody was done long before the storm was. */
    g_assert_cmpuint(prev, <, last_alice);
    g_assert_cmpuint(count_prefix(lines, total, storm_q), ==, STORM + 1);
    g_assert_cmpuint(count_prefix(lines, prev, storm_q), <=, 4 * PER_USER);
}

/* An interactive question goes out at once on its own lane, even while
 * its own user's plain questions fill theirs. */
static void
test_interactive_lane(VbpFixture *f)
{
    define_many(f, "storm", STORM);
    g_autofree gchar *target = vb_define_domain(&f->vb, "lane-target");
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpCaller) alice2 = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(Hold) h = hold_install(f, ACTION_PREFIX "domain.getattr", NULL);

    /* alice's second connection may see and read the target: known
     * before the storm (only storm domains hold polkitd). */
    g_autoptr(VbpReply) warm = vbp_caller_call(alice2, target, VB_IFACE_DOMAIN, "GetState",
                                               g_variant_new("(u)", 0), FALSE);
    g_assert_true(warm->ok);

    vbp_caller_send(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0), FALSE);
    wait_file(h->started);
    wait_stat(f, "auth-sent", ==, PER_USER);
    guint queued = stat_get(f, "auth-queued");
    g_assert_cmpuint(queued, >, 0);

    vbp_caller_send(alice2, target, VB_IFACE_DOMAIN, "Suspend", NULL, TRUE);
    wait_stat(f, "auth-sent-interactive", ==, 1);
    /* Sent beside a full plain lane of the same user. */
    g_assert_cmpuint(stat_get(f, "auth-sent"), ==, PER_USER + 1);
    g_assert_cmpuint(stat_get(f, "auth-queued"), ==, queued);
    hold_release(h);

    g_autoptr(VbpReply) s = vbp_caller_wait(alice2);
    g_assert_false(s->ok);
    /* No authentication agent: polkit says no to the interactive
     * question. */
    g_assert_cmpstr(s->error_name, ==, VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *refused_action = vbp_reply_action(s);
    g_assert_cmpstr(refused_action, ==, ACTION_PREFIX "domain.suspend");
    g_autoptr(VbpReply) a = vbp_caller_wait(alice);
    g_assert_true(a->ok);

    /* polkitd judged the interactive question right after the held batch. */
    g_auto(GStrv) lines = read_lines(h->log);
    gint at = -1;
    for (guint i = 0; lines[i]; i++)
        if (strstr(lines[i], ACTION_PREFIX "domain.suspend"))
            at = (gint)i;
    g_assert_cmpint(at, >=, 0);
    g_assert_cmpuint(count_prefix(lines, (guint)at, VBP_USER_ALICE " " ACTION_PREFIX "domain.getattr storm-"), <=, PER_USER);
}

/* ---- the verdict cache ------------------------------------------------------------ */

#define CACHE_SIZE 50

static void
restart_with(VbpFixture *f, const char *name, const char *value)
{
    vb_fixture_teardown(&f->vb, NULL);
    g_setenv(name, value, TRUE);
    vb_fixture_setup(&f->vb, NULL);
}

static void
test_cache_bounded(VbpFixture *f)
{
    g_autofree gchar *size = g_strdup_printf("%d", CACHE_SIZE);
    restart_with(f, "VIRTBUS_TEST_AUTH_CACHE_SIZE", size);
    define_many(f, "cache", 3 * CACHE_SIZE);
    /* Without monitor, every domain is a question of its own. */
    vbp_polkit_set_rule(f->polkit, "10-no-monitor.rules",
                        "polkit.addRule(function(action, subject) {\n"
                        "    if (action.id == \"" ACTION_PREFIX "monitor\" &&\n"
                        "        (subject.user == \"" VBP_USER_ALICE "\" || subject.user == \"" VBP_USER_NOBODY "\"))\n"
                        "        return polkit.Result.NO;\n"
                        "});\n");

    guint subjects_before = stat_get(f, "auth-subjects");
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    for (int round = 0; round < 2; round++) {
        g_autoptr(VbpReply) list = vbp_caller_call(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                                   g_variant_new("(u)", 0), FALSE);
        g_assert_true(list->ok);
        g_autoptr(GVariant) paths = g_variant_get_child_value(list->value, 0);
        /* Complete, although the cache holds a third of the answers. */
        g_assert_cmpuint(g_variant_n_children(paths), ==, 3 * CACHE_SIZE + 1);
        g_assert_cmpuint(stat_get(f, "auth-cached"), <=, CACHE_SIZE);
    }
    g_assert_cmpuint(stat_get(f, "auth-cached"), ==, CACHE_SIZE);
    g_assert_cmpuint(subject_verdicts(f, vbp_caller_unique_name(nobody)), >, 0);

    /* A second caller's verdicts push out the stalest. */
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autofree gchar *one = vb_domain_path(&f->vb, "cache-000");
    g_autoptr(VbpReply) st = vbp_caller_call(alice, one, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0), FALSE);
    g_assert_true(st->ok);
    g_assert_cmpuint(subject_verdicts(f, vbp_caller_unique_name(alice)), >, 0);
    g_assert_cmpuint(stat_get(f, "auth-cached"), ==, CACHE_SIZE);

    /* A caller that leaves takes its verdicts along. */
    g_autofree gchar *gone = g_strdup(vbp_caller_unique_name(nobody));
    guint alice_has = subject_verdicts(f, vbp_caller_unique_name(alice));
    g_clear_pointer(&nobody, vbp_caller_free);
    wait_stat(f, "auth-cached", ==, alice_has);
    g_assert_cmpuint(subject_verdicts(f, gone), ==, 0);
    g_clear_pointer(&alice, vbp_caller_free);
    wait_stat(f, "auth-cached", ==, 0);
    wait_stat(f, "auth-subjects", <=, subjects_before);
    g_assert_cmpuint(stat_get(f, "auth-users"), ==, 0);
}

/* polkit answers a question that allowed interaction and was granted
 * without "retains" (a one-shot grant: auth_admin after authentication)
 * for that question only. Without logind there is no authentication agent
 * here, so the grant comes from a rule: polkit reports it exactly as it
 * reports a one-shot grant after authentication. */
static void
test_one_shot_not_cached(VbpFixture *f)
{
    g_autofree gchar *path = vb_define_and_start(&f->vb, "oneshot");
    g_autoptr(Hold) h = hold_install(f, "never", ACTION_PREFIX "domain.suspend");
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    const char *q = VBP_USER_ALICE " " ACTION_PREFIX "domain.suspend ";

    /* Granted to questions that allowed interaction: not remembered, each
     * call asks again. */
    for (int i = 0; i < 2; i++) {
        g_autoptr(VbpReply) s1 = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Suspend", NULL, TRUE);
        if (!s1->ok)
            g_error("Suspend: %s", vbp_reply_describe(s1));
        g_autoptr(VbpReply) r1 = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Resume", NULL, TRUE);
        g_assert_true(r1->ok);
    }
    g_auto(GStrv) after_interactive = read_lines(h->log);
    g_assert_cmpuint(count_prefix(after_interactive, G_MAXUINT, q), ==, 4);

    /* Granted to plain questions: remembered (per member: the verb is a
     * detail), so only the first of each asks. */
    for (int i = 0; i < 2; i++) {
        g_autoptr(VbpReply) s2 = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Suspend", NULL, FALSE);
        g_assert_true(s2->ok);
        g_autoptr(VbpReply) r2 = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Resume", NULL, FALSE);
        g_assert_true(r2->ok);
    }
    g_auto(GStrv) lines = read_lines(h->log);
    for (guint i = 0; lines[i]; i++)
        g_test_message("polkitd judged: %s", lines[i]);
    g_assert_cmpuint(count_prefix(lines, G_MAXUINT, q), ==, 4 + 2);
}

/* ---- details are bounded --------------------------------------------------------- */

static void
test_detail_capped(VbpFixture *f)
{
    /* Longer names are refused before anything (no detail can be longer
     * than 1024 bytes); one just under the bound, with multi-byte
     * characters from an odd offset, reaches polkit whole and valid. */
    GString *toolong = g_string_new("x");
    for (int i = 0; i < 700; i++)
        g_string_append(toolong, "\xc3\xa9"); /* é */
    g_autofree gchar *toolong_xml = vb_domain_xml(toolong->str);
    g_autoptr(GError) refused = vb_call_err(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "DomainDefineXML",
                                            g_variant_new("(s)", toolong_xml));
    vb_assert_error(refused, VB_DBUS_INVALID_ARGS);
    g_string_free(toolong, TRUE);

    GString *name = g_string_new("x");
    for (int i = 0; i < 511; i++)
        g_string_append(name, "\xc3\xa9");
    g_autofree gchar *path = vb_define_domain(&f->vb, name->str);
    g_autofree gchar *out = scratch(f, "detail");
    g_autofree gchar *rule = g_strdup_printf(
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user == \"" VBP_USER_ALICE "\" && action.id == \"" ACTION_PREFIX "monitor\")\n"
        "        return polkit.Result.NO;\n"
        "    if (subject.user == \"" VBP_USER_ALICE "\" && action.id == \"" ACTION_PREFIX "domain.getattr\") {\n"
        "        polkit.spawn([\"/bin/sh\", \"-c\", 'printf %%s \"$1\" > \"$2\"', \"sh\",\n"
        "                      action.lookup(\"domain_name\"), \"%s\"]);\n"
        "        return polkit.Result.YES;\n"
        "    }\n"
        "});\n", out);
    vbp_polkit_set_rule(f->polkit, "10-detail.rules", rule);
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpReply) r = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0), FALSE);
    g_assert_true(r->ok);

    g_autofree gchar *seen = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(out, &seen, &len, NULL));
    g_assert_cmpuint(len, <=, 1024);
    g_assert_true(g_utf8_validate(seen, (gssize)len, NULL));
    g_assert_cmpstr(seen, ==, name->str);
    g_string_free(name, TRUE);
}

/* ---- hostile input before authorization ------------------------------------------ */

/* A typed-parameter name of 80 bytes or more, with multi-byte characters:
 * the error quotes part of it and must stay valid UTF-8, or sd-bus would
 * refuse to send it and the caller would never get an answer. Parsing comes
 * before authorization, so nobody reaches it. */
static void
test_param_name_utf8(VbpFixture *f)
{
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    GString *longname = g_string_new("xy");
    for (int i = 0; i < 60; i++)
        g_string_append(longname, "\xe2\x82\xac"); /* € */
    /* 77 bytes, a name libvirt accepts; the error quotes 40 bytes of it,
     * which end inside the thirteenth character. */
    GString *shortname = g_string_new("xy");
    for (int i = 0; i < 25; i++)
        g_string_append(shortname, "\xe2\x82\xac");
    const char *names[] = { longname->str, shortname->str };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        /* The long name with a good value, the shorter one with a type no
         * typed parameter has: both errors quote the name. */
        g_variant_builder_add(&b, "{sv}", names[i],
                              i == 0 ? g_variant_new_uint64(1) : g_variant_new_bytestring("zz"));
        g_autoptr(VbpReply) r = vbp_caller_call(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "NodeSetMemoryParameters",
                                                g_variant_new("(a{sv}u)", &b, 0), FALSE);
        g_assert_false(r->ok);
        g_assert_cmpstr(r->error_name, ==, VB_DBUS_INVALID_ARGS);
        g_assert_true(g_utf8_validate(r->error_message, -1, NULL));
        g_assert_nonnull(strstr(r->error_message, "xy\xe2\x82\xac"));
    }
    g_string_free(longname, TRUE);
    g_string_free(shortname, TRUE);
}

/* A host path that leads, through a link, to a name that is not UTF-8:
 * the refusal quotes where it leads and must still reach the caller. */
static void
test_host_path_not_utf8(VbpFixture *f)
{
    g_autofree gchar *dir = g_build_filename(f->vb.tmpdir, "links", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_cmpint(chmod(f->vb.tmpdir, 0755), ==, 0);
    g_autofree gchar *target = g_build_filename(dir, "bad-\xff\xfe-name", NULL);
    g_assert_true(g_file_set_contents(target, "", 0, NULL));
    g_autofree gchar *link = g_build_filename(dir, "link", NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
    g_autofree gchar *path = vb_define_and_start(&f->vb, "badpath");

    vbp_polkit_set_rule(f->polkit, "10-save.rules",
                        "polkit.addRule(function(action, subject) {\n"
                        "    if (subject.user == \"" VBP_USER_ALICE "\") return polkit.Result.YES;\n"
                        "});\n");
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpReply) r = vbp_caller_call(alice, path, VB_IFACE_DOMAIN, "Save",
                                            g_variant_new("(ssu)", link, "", 0), FALSE);
    g_assert_false(r->ok);
    g_assert_cmpstr(r->error_name, ==, VBP_DBUS_ACCESS_DENIED);
    g_assert_true(g_utf8_validate(r->error_message, -1, NULL));
    g_assert_nonnull(strstr(r->error_message, "bad-"));
}

/* ---- polkitd hangs ------------------------------------------------------------------ */

static pid_t
polkitd_pid(VbpFixture *f)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(f->vb.bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                        "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                                        g_variant_new("(s)", VBP_POLKIT_NAME), G_VARIANT_TYPE("(u)"),
                                                        G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
    g_assert_no_error(error);
    guint32 pid;
    g_variant_get(r, "(u)", &pid);
    return (pid_t)pid;
}

static void
test_polkitd_hangs(VbpFixture *f)
{
    restart_with(f, "VIRTBUS_TEST_AUTH_TIMEOUT_MS", "1500");
    define_many(f, "hang", 10);
    g_autofree gchar *target = vb_domain_path(&f->vb, "hang-003");
    g_autoptr(VbpCaller) alice = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    pid_t pid = polkitd_pid(f);

    g_assert_cmpint(kill(pid, SIGSTOP), ==, 0);
    vbp_caller_send(alice, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0), FALSE);
    vbp_caller_send(nobody, target, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0), FALSE);
    /* root never waits for polkit. */
    g_autoptr(GVariant) rl = vb_call_ok(&f->vb, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                        g_variant_new("(u)", 0), "(ao)");
    g_autofree gchar *rootsuspend = vb_define_and_start(&f->vb, "root-runs");
    g_autoptr(GVariant) rs = vb_call_ok(&f->vb, rootsuspend, VB_IFACE_DOMAIN, "Suspend", NULL, "()");

    /* Each caller gets a clear refusal once the bounded wait is over. */
    g_autoptr(VbpReply) a = vbp_caller_wait(alice);
    g_autoptr(VbpReply) n = vbp_caller_wait(nobody);
    kill(pid, SIGCONT);
    /* A list fails rather than come back short; an object whose
     * visibility polkit could not decide answers as a missing one. */
    g_assert_false(a->ok);
    g_assert_cmpstr(a->error_name, ==, VBP_DBUS_ACCESS_DENIED);
    g_assert_nonnull(strstr(a->error_message, "the authorization service is not available"));
    g_assert_false(n->ok);
    g_assert_cmpstr(n->error_name, ==, VB_DBUS_UNKNOWN_OBJECT);
    wait_stat(f, "calls", ==, 0);
    g_assert_cmpuint(stat_get(f, "auth-queued"), ==, 0);

    /* polkitd back: answers again (its late answers to the old questions
     * change nothing). */
    g_autoptr(VbpReply) again = vbp_caller_call(nobody, target, VB_IFACE_DOMAIN, "GetState", g_variant_new("(u)", 0), FALSE);
    g_assert_true(again->ok);
}

/* ---- callers that leave ------------------------------------------------------------- */

static void
test_caller_leaves_queued(VbpFixture *f)
{
    define_many(f, "storm", 20);
    g_autoptr(Hold) h = hold_install(f, ACTION_PREFIX "domain.getattr", NULL);
    guint subjects = stat_get(f, "auth-subjects");
    VbpCaller *alice[3];

    for (int i = 0; i < 3; i++) {
        alice[i] = vbp_caller_new(VBP_USER_ALICE);
        vbp_caller_send(alice[i], VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0), FALSE);
    }
    wait_file(h->started);
    wait_stat(f, "auth-sent", ==, PER_USER);
    wait_stat(f, "calls", ==, 3);
    g_assert_cmpuint(stat_get(f, "auth-queued"), >, 0);
    /* The callers go while polkitd holds their questions. */
    for (int i = 0; i < 3; i++)
        vbp_caller_free(alice[i]);
    /* What polkit has not seen yet is dropped at once. */
    wait_stat(f, "auth-queued", ==, 0);
    hold_release(h);

    wait_stat(f, "calls", ==, 0);
    wait_stat(f, "auth-sent", ==, 0);
    wait_stat(f, "auth-subjects", <=, subjects);
    g_assert_cmpuint(stat_get(f, "auth-queued"), ==, 0);
    g_assert_cmpuint(stat_get(f, "auth-users"), ==, 0);
    g_assert_cmpuint(stat_get(f, "calls-counted"), ==, 0);
    g_assert_cmpuint(stat_get(f, "gates"), ==, 0);
    g_assert_cmpuint(stat_get(f, "turns"), ==, 0);
    g_assert_cmpuint(stat_get(f, "pool-pending"), ==, 0);
    g_assert_cmpuint(stat_get(f, "auth-cached"), ==, 0);
}

/* ---- quotas ------------------------------------------------------------------------- */

static void
test_call_quota(VbpFixture *f)
{
    restart_with(f, "VIRTBUS_TEST_CALLS_PER_USER", "3");
    define_many(f, "storm", 10);
    g_autoptr(Hold) h = hold_install(f, ACTION_PREFIX "domain.getattr", NULL);
    VbpCaller *alice[4];
    for (int i = 0; i < 4; i++)
        alice[i] = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);

    for (int i = 0; i < 3; i++)
        vbp_caller_send(alice[i], VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0), FALSE);
    wait_file(h->started);
    wait_stat(f, "calls-counted", ==, 3);
    /* A fourth call of the same user, from another connection: refused. */
    g_autoptr(VbpReply) over = vbp_caller_call(alice[3], VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                               g_variant_new("(u)", 0), FALSE);
    g_assert_false(over->ok);
    g_assert_cmpstr(over->error_name, ==, DBUS_LIMITS_EXCEEDED);
    /* Another user is not counted with alice. */
    vbp_caller_send(nobody, VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains", g_variant_new("(u)", 0), FALSE);
    wait_stat(f, "calls-counted", ==, 4);
    hold_release(h);
    for (int i = 0; i < 3; i++) {
        g_autoptr(VbpReply) r = vbp_caller_wait(alice[i]);
        g_assert_true(r->ok);
    }
    g_autoptr(VbpReply) n = vbp_caller_wait(nobody);
    g_assert_true(n->ok);
    wait_stat(f, "calls-counted", ==, 0);
    for (int i = 0; i < 4; i++)
        vbp_caller_free(alice[i]);
}

/* ---- descriptors and calls that wait ------------------------------------------------ */

static void
become_user(gpointer data)
{
    struct passwd *pw = getpwnam(data);
    gid_t groups[64];
    int n = G_N_ELEMENTS(groups);

    if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0 ||
        setgroups((size_t)n, groups) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
        _exit(120);
}

/* A caller, as @user, that passes @nfds descriptors with
 * DomainCreateXMLWithFiles and prints the error name it gets (or "ok"). */
static GPid
spawn_fd_caller(const char *user, int nfds, int *out_fd)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *n = g_strdup_printf("%d", nfds);
    const char *script =
        "import sys, dbus\n"
        "bus = dbus.bus.BusConnection(sys.argv[1])\n"
        "obj = bus.get_object('org.libvirt', '/org/libvirt/Test')\n"
        "files = [open('/dev/null') for i in range(int(sys.argv[2]))]\n"
        "fds = [dbus.types.UnixFd(f.fileno()) for f in files]\n"
        "xml = \"<domain type='test'><name>fds</name><memory>8192</memory><os><type>hvm</type></os></domain>\"\n"
        "try:\n"
        "    obj.DomainCreateXMLWithFiles(xml, fds, dbus.UInt32(0), dbus_interface='org.libvirt.Connect', timeout=60)\n"
        "    print('ok')\n"
        "except dbus.exceptions.DBusException as e:\n"
        "    print(e.get_dbus_name())\n";
    const char *argv[] = { "/usr/bin/python3", "-c", script, vb_bus_address(), n, NULL };
    GPid pid;
    g_spawn_async_with_pipes(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                             become_user, (gpointer)user, &pid, NULL, out_fd, NULL, &error);
    g_assert_no_error(error);
    return pid;
}

static gchar *
finish_fd_caller(GPid pid, int fd)
{
    GString *out = g_string_new(NULL);
    char buf[256];
    ssize_t n;
    int status;

    while ((n = read(fd, buf, sizeof(buf))) > 0)
        g_string_append_len(out, buf, n);
    close(fd);
    waitpid(pid, &status, 0);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return g_strchomp(g_string_free(out, FALSE));
}

static void
test_fd_quota(VbpFixture *f)
{
    restart_with(f, "VIRTBUS_TEST_FDS_PER_USER", "4");
    g_autoptr(Hold) h = hold_install(f, ACTION_PREFIX "manage", NULL);
    int out1, out2, out3;

    /* Three descriptors held by a call that waits for polkit. */
    GPid first = spawn_fd_caller(VBP_USER_ALICE, 3, &out1);
    wait_file(h->started);
    wait_stat(f, "fds-held", ==, 3);
    /* Three more from the same user: over the bound, refused at once. */
    GPid second = spawn_fd_caller(VBP_USER_ALICE, 3, &out2);
    g_autofree gchar *r2 = finish_fd_caller(second, out2);
    g_assert_cmpstr(r2, ==, DBUS_LIMITS_EXCEEDED);
    /* Another user has a bound of its own. */
    GPid other = spawn_fd_caller(VBP_USER_NOBODY, 3, &out3);
    wait_stat(f, "fds-held", ==, 6);
    hold_release(h);
    g_autofree gchar *r1 = finish_fd_caller(first, out1);
    g_autofree gchar *r3 = finish_fd_caller(other, out3);
    /* Neither may create domains without an administrator. */
    g_assert_cmpstr(r1, ==, VBP_DBUS_INTERACTIVE);
    g_assert_cmpstr(r3, ==, VBP_DBUS_INTERACTIVE);
    wait_stat(f, "calls", ==, 0);
    g_assert_cmpuint(stat_get(f, "fds-held"), ==, 0);
}

/* A connection whose first attempt hangs (a socket that never answers):
 * calls wait for it, a bounded number per user. */
static void
test_waiting_quota(VbpFixture *f)
{
    /* Not in the case's scratch directory: restarting the daemon renews it. */
    g_autofree gchar *sock_dir = g_dir_make_tmp("virtbus-silent-XXXXXX", NULL);
    g_autofree gchar *sock_path = g_build_filename(sock_dir, "sock", NULL);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(lfd, >=, 0);
    g_assert_cmpuint(strlen(sock_path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, sock_path);
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(lfd, 16), ==, 0);
    g_autofree gchar *connect = g_strdup_printf("Silent=qemu+unix:///system?socket=%s", sock_path);
    const char *args[] = { "--connect", connect, NULL };
    const char *env[] = { "VIRTBUS_TEST_WAITING_PER_USER=2", NULL };
    VbDaemonOptions opts = { .extra_args = args, .extra_env = env };
    vb_fixture_teardown(&f->vb, NULL);
    vb_fixture_setup(&f->vb, &opts);

    VbpCaller *alice[3];
    for (int i = 0; i < 3; i++)
        alice[i] = vbp_caller_new(VBP_USER_ALICE);
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    for (int i = 0; i < 2; i++)
        vbp_caller_send(alice[i], "/org/libvirt/Silent", VB_IFACE_CONNECT, "GetCapabilities", NULL, FALSE);
    wait_stat(f, "waiting-for-connection", ==, 2);
    g_autoptr(VbpReply) over = vbp_caller_call(alice[2], "/org/libvirt/Silent", VB_IFACE_CONNECT, "GetCapabilities",
                                               NULL, FALSE);
    g_assert_false(over->ok);
    g_assert_cmpstr(over->error_name, ==, DBUS_LIMITS_EXCEEDED);
    vbp_caller_send(nobody, "/org/libvirt/Silent", VB_IFACE_CONNECT, "GetCapabilities", NULL, FALSE);
    wait_stat(f, "waiting-for-connection", ==, 3);
    /* The other connection serves meanwhile. */
    g_autoptr(VbpReply) list = vbp_caller_call(alice[2], VB_TEST_PATH, VB_IFACE_CONNECT, "ListDomains",
                                               g_variant_new("(u)", 0), FALSE);
    g_assert_true(list->ok);

    /* The socket goes: the first attempt fails, the waiting calls say so. */
    close(lfd);
    unlink(sock_path);
    rmdir(sock_dir);
    for (int i = 0; i < 2; i++) {
        g_autoptr(VbpReply) r = vbp_caller_wait(alice[i]);
        g_assert_false(r->ok);
        g_assert_cmpstr(r->error_name, ==, "org.libvirt.Error.NoConnect");
    }
    g_autoptr(VbpReply) rn = vbp_caller_wait(nobody);
    g_assert_cmpstr(rn->error_name, ==, "org.libvirt.Error.NoConnect");
    g_assert_cmpuint(stat_get(f, "waiting-for-connection"), ==, 0);
    for (int i = 0; i < 3; i++)
        vbp_caller_free(alice[i]);
}

/* ---- reads and changes take turns -------------------------------------------------- */

typedef struct {
    guint replies;
    gint destroy_at;        /* replies before Destroy's, or -1 */
    GError *destroy_error;
} Flood;

static void
on_read_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    Flood *fl = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    g_assert_no_error(error);
    fl->replies++;
}

static void
on_destroy_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    Flood *fl = data;
    g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &fl->destroy_error);
    fl->destroy_at = (gint)fl->replies;
}

static void
test_reads_and_changes_take_turns(VbpFixture *f)
{
    enum { READS = 30 };
    const char *args[] = { "--threads", "2", NULL };
    const char *env[] = { "VIRTBUS_TEST_READ_DELAY_MS=100", NULL };
    VbDaemonOptions opts = { .extra_args = args, .extra_env = env };
    vb_fixture_teardown(&f->vb, NULL);
    vb_fixture_setup(&f->vb, &opts);
    g_autofree gchar *path = vb_domain_path(&f->vb, VB_TEST_DOMAIN_NAME);
    Flood fl = { .destroy_at = -1 };

    /* A flood of reads (each takes a worker for 100 ms), then an
     * administrator's Destroy. */
    for (int i = 0; i < READS; i++)
        g_dbus_connection_call(f->vb.bus, VB_BUS_NAME, path, VB_IFACE_DOMAIN, "GetXMLDesc", g_variant_new("(u)", 0),
                               G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_read_reply, &fl);
    wait_stat(f, "pool-pending", ==, READS);
    g_dbus_connection_call(f->vb.bus, VB_BUS_NAME, path, VB_IFACE_DOMAIN, "Destroy", g_variant_new("(u)", 0),
                           G_VARIANT_TYPE("()"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_destroy_reply, &fl);
    while (fl.replies < READS || fl.destroy_at < 0)
        g_main_context_iteration(NULL, TRUE);
    g_assert_no_error(fl.destroy_error);
    /* Destroy took the next free worker: only the reads already running
     * (two workers) finished before it, not the flood. */
    g_test_message("reads answered before Destroy: %d of %d", fl.destroy_at, READS);
    g_assert_cmpint(fl.destroy_at, <=, 3);
    vb_assert_state(&f->vb, path, VIR_DOMAIN_SHUTOFF);
}

/* ---- the daemon's own end -------------------------------------------------------- */

/* The bus goes away: virtbusd exits non-zero, so the service manager
 * (Restart=on-failure) starts it again. */
static void
test_bus_goes_away(VbpFixture *f)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = g_build_filename(f->vb.tmpdir, "lost-bus", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_autofree gchar *conf = g_build_filename(dir, "bus.conf", NULL);
    g_autofree gchar *text = g_strdup_printf(
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig><type>session</type><listen>unix:path=%s/bus</listen><auth>EXTERNAL</auth>\n"
        "<policy context=\"default\"><allow send_destination=\"*\"/><allow receive_sender=\"*\"/><allow own=\"*\"/></policy></busconfig>\n",
        dir);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_autofree gchar *conf_arg = g_strdup_printf("--config-file=%s", conf);
    const char *bus_argv[] = { "dbus-daemon", conf_arg, "--nofork", NULL };
    GPid bus_pid, daemon_pid;
    g_spawn_async(NULL, (gchar **)bus_argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                  &bus_pid, &error);
    g_assert_no_error(error);
    g_autofree gchar *address = g_strdup_printf("unix:path=%s/bus", dir);
    g_autofree gchar *sock = g_strdup_printf("%s/bus", dir);
    wait_file(sock);

    g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
    const char *argv[] = { g_getenv("VIRTBUSD"), "--session", "--connect", "Test=test:///default", NULL };
    g_spawn_async(NULL, (gchar **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &daemon_pid, &error);
    g_assert_no_error(error);

    GDBusConnection *c = NULL;
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    for (;;) {
        g_clear_error(&error);
        if (!c)
            c = g_dbus_connection_new_for_address_sync(address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
        if (c) {
            g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, VB_BUS_NAME, VB_TEST_PATH, VB_IFACE_CONNECT,
                                                                "ListDomains", g_variant_new("(u)", 0), NULL,
                                                                G_DBUS_CALL_FLAGS_NONE, 2000, NULL, &error);
            if (r)
                break;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(20000);
    }
    g_clear_object(&c);

    kill(bus_pid, SIGKILL);
    waitpid(bus_pid, NULL, 0);
    int status;
    deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (waitpid(daemon_pid, &status, WNOHANG) != daemon_pid) {
        if (g_get_monotonic_time() > deadline) {
            kill(daemon_pid, SIGKILL);
            waitpid(daemon_pid, NULL, 0);
            g_error("virtbusd did not exit when its bus went away");
        }
        g_usleep(10000);
    }
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 0);
}

/* SIGTERM with a call in flight: the daemon stops at once with status 0
 * without waiting for it; the caller gets the bus's NoReply. */
static void
on_save_reply(GObject *source, GAsyncResult *res, gpointer data)
{
    GError **error = data;
    g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, error);
    if (!*error)
        *error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "the call succeeded");
}

static void
test_sigterm_in_flight(VbpFixture *f)
{
    const char *env[] = { "VIRTBUS_TEST_DELAY_MS=5000", NULL };
    VbDaemonOptions opts = { .extra_env = env };
    vb_fixture_teardown(&f->vb, NULL);
    vb_fixture_setup(&f->vb, &opts);
    g_autofree gchar *path = vb_domain_path(&f->vb, VB_TEST_DOMAIN_NAME);
    g_autofree gchar *image = g_build_filename(f->vb.tmpdir, "in-flight.img", NULL);
    GError *error = NULL;

    g_dbus_connection_call(f->vb.bus, VB_BUS_NAME, path, VB_IFACE_DOMAIN, "Save", g_variant_new("(ssu)", image, "", 0),
                           NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_save_reply, &error);
    wait_stat(f, "pool-pending", ==, 1);
    gint64 before = g_get_monotonic_time();
    vb_stop_daemon(&f->vb);
    while (!error)
        g_main_context_iteration(NULL, TRUE);
    g_autofree gchar *name = g_dbus_error_get_remote_error(error);
    g_assert_cmpstr(name, ==, "org.freedesktop.DBus.Error.NoReply");
    /* Not waited for: the delayed save would have taken 5 s. */
    g_assert_cmpint(g_get_monotonic_time() - before, <, 4 * G_USEC_PER_SEC);
    g_error_free(error);
}

/* ---- random calls to every member -------------------------------------------------- */

static void
run_dbus_fuzz(VbpFixture *f, const char *user)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *script = g_build_filename(g_getenv("VIRTBUS_SRCDIR"), "fuzz", "dbus-fuzz.py", NULL);
    g_autofree gchar *seed = g_strdup_printf("%u", g_test_rand_int());
    const char *seconds = g_getenv("VIRTBUS_DBUS_FUZZ_SECONDS");
    const char *argv[] = { "/usr/bin/python3", script, "--address", vb_bus_address(), "--seconds",
                           seconds && *seconds ? seconds : "15", "--seed", seed, NULL };
    g_autofree gchar *out = NULL, *err = NULL;
    gint status;

    /* A few objects of each kind to aim at. */
    g_autofree gchar *running = vb_define_and_start(&f->vb, "fz-running");
    g_autofree gchar *stopped = vb_define_domain(&f->vb, "fz-stopped");
    g_autoptr(GVariant) snap = vb_call_ok(&f->vb, running, VB_IFACE_DOMAIN, "SnapshotCreateXML",
                                          g_variant_new("(su)", "<domainsnapshot><name>fz snap é</name></domainsnapshot>", 0),
                                          "(o)");
    g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, user ? become_user : NULL, (gpointer)user,
                 &out, &err, &status, &error);
    g_assert_no_error(error);
    g_test_message("%s%s", out, err);
    g_assert_true(vb_daemon_alive(&f->vb));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("random calls as %s: a call went unanswered or the daemon stopped answering:\n%s%s",
                user ? user : "root", out, err);
    /* Nothing stays behind once every call is answered. */
    wait_stat(f, "calls", ==, 0);
    wait_stat(f, "auth-queued", ==, 0);
    g_assert_cmpuint(stat_get(f, "fds-held"), ==, 0);
}

static void
test_dbus_fuzz_root(VbpFixture *f)
{
    run_dbus_fuzz(f, NULL);
}

static void
test_dbus_fuzz_nobody(VbpFixture *f)
{
    run_dbus_fuzz(f, VBP_USER_NOBODY);
}

static void
skip_without_seam(void)
{
    g_test_skip("virtbusd was built without -Dtest_delay_seam=true");
}

int
main(int argc, char **argv)
{
    vbp_caller_main_maybe(argc, argv);
    g_setenv("VIRTBUS_TEST_AUTH_PER_USER", G_STRINGIFY(PER_USER), TRUE);
    vbp_init(&argc, &argv);

    if (!vb_have_delay_seam()) {
        g_test_add_func("/hardening/needs-test-seam", skip_without_seam);
        int ret = vb_run();
        vbp_cleanup();
        return ret;
    }
    vbp_add("/hardening/storm-fair", test_storm_fair);
    vbp_add("/hardening/interactive-lane", test_interactive_lane);
    vbp_add("/hardening/cache-bounded", test_cache_bounded);
    vbp_add("/hardening/one-shot-not-cached", test_one_shot_not_cached);
    vbp_add("/hardening/detail-capped", test_detail_capped);
    vbp_add("/hardening/param-name-utf8", test_param_name_utf8);
    vbp_add("/hardening/host-path-not-utf8", test_host_path_not_utf8);
    vbp_add("/hardening/polkitd-hangs", test_polkitd_hangs);
    vbp_add("/hardening/caller-leaves-queued", test_caller_leaves_queued);
    vbp_add("/hardening/call-quota", test_call_quota);
    vbp_add("/hardening/fd-quota", test_fd_quota);
    vbp_add("/hardening/waiting-quota", test_waiting_quota);
    vbp_add("/hardening/reads-and-changes-take-turns", test_reads_and_changes_take_turns);
    vbp_add("/hardening/bus-goes-away", test_bus_goes_away);
    vbp_add("/hardening/sigterm-in-flight", test_sigterm_in_flight);
    vbp_add("/hardening/dbus-fuzz-root", test_dbus_fuzz_root);
    vbp_add("/hardening/dbus-fuzz-nobody", test_dbus_fuzz_nobody);

    int ret = vb_run();
    vbp_cleanup();
    return ret;
}
