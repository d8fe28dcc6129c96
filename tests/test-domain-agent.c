/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The org.libvirt.Domain members that ask the guest agent, against a real
 * qemu-guest-agent: the test guest of tests/guest/build-guest (a kernel
 * and an initramfs with busybox and qemu-ga, an ext4 file system at
 * /mnt/data, DHCP on user networking) under QEMU on a private libvirtd
 * (qemu-util.h). Every effect is checked with libvirt's view of the guest:
 * virsh (domfsinfo, domtime, guestvcpus, domifaddr, domstate) or the
 * agent's own commands through virsh qemu-agent-command (the freeze status,
 * the guest's /etc/shadow). What the guest or QEMU's agent driver cannot
 * do fails with libvirt's exact error, as noted at each call. Last, a
 * guest suspended to RAM is woken with PMWakeup.
 *
 * The guest is built once into $VIRTBUS_GUEST_DIR (default
 * /var/tmp/virtbus-guest, a cache shared with tests/guest/check-guest). */
#include "qemu-util.h"

#include <string.h>

#define VB_ERR_ARG_UNSUPPORTED VB_ERROR_PREFIX "ArgumentUnsupported"
#define VB_ERR_OPERATION_UNSUPPORTED VB_ERROR_PREFIX "OperationUnsupported"
#define GUEST_ENV "VIRTBUS_GUEST_DIR"
#define GUEST_DEFAULT_DIR "/var/tmp/virtbus-guest"

static gchar *guest_dir;

static GVariant *
dom_call(VbFixture *f, const VqGuest *g, const char *method, GVariant *args, const char *reply_type)
{
    return vb_call_ok(f, g->path, VB_IFACE_DOMAIN, method, args, reply_type);
}

static GError *
dom_err(VbFixture *f, const VqGuest *g, const char *method, GVariant *args)
{
    return vb_call_err(f, g->path, VB_IFACE_DOMAIN, method, args);
}

#define DOM_OK(f, g, method, args) \
    G_STMT_START { \
        g_autoptr(GVariant) r_ = dom_call((f), (g), (method), (args), "()"); \
    } G_STMT_END

static void
assert_text(const GError *e, const char *needle)
{
    g_autofree gchar *text = vb_error_text(e);
    if (!strstr(text, needle))
        g_error("error \"%s\" does not say \"%s\"", text, needle);
}

static GVariant *
strings(const char *first, ...)
{
    GVariantBuilder b;
    va_list ap;

    g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        g_variant_builder_add(&b, "s", s);
    va_end(ap);
    return g_variant_builder_end(&b);
}

static GVariant *
bools(guint n, guint only)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("ab"));
    for (guint i = 0; i < n; i++)
        g_variant_builder_add(&b, "b", i == only);
    return g_variant_builder_end(&b);
}

/* ---- the guest ------------------------------------------------------------------------ */

/* The test guest's domain, from build-guest's template: @vcpus vCPUs, and
 * suspend to RAM allowed. */
static gchar *
guest_xml(const VqGuest *g, guint vcpus)
{
    g_autofree gchar *tmpl_file = g_build_filename(guest_dir, "domain.xml.in", NULL);
    g_autofree gchar *kernel = g_build_filename(guest_dir, "vmlinuz", NULL);
    g_autofree gchar *initrd = g_build_filename(guest_dir, "initrd.img", NULL);
    g_autofree gchar *tmpl = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) xml = NULL;
    g_autofree gchar *vcpu = g_strdup_printf("<vcpu>%u</vcpu>", vcpus);

    g_assert_true(g_file_get_contents(tmpl_file, &tmpl, NULL, &error));
    xml = g_string_new(tmpl);
    g_assert_cmpuint(g_string_replace(xml, "@NAME@", g->name, 0), >, 0);
    g_assert_cmpuint(g_string_replace(xml, "@UUID@", g->uuid, 0), >, 0);
    g_assert_cmpuint(g_string_replace(xml, "@KERNEL@", kernel, 0), >, 0);
    g_assert_cmpuint(g_string_replace(xml, "@INITRD@", initrd, 0), >, 0);
    g_assert_cmpuint(g_string_replace(xml, "<vcpu>1</vcpu>", vcpu, 0), ==, 1);
    g_assert_cmpuint(g_string_replace(xml, "</features>",
                                      "</features><pm><suspend-to-mem enabled='yes'/></pm>", 0), ==, 1);
    return g_strdup(xml->str);
}

/* Waits for the agent's AgentEvent "connected": qemu-ga opened its port. */
static void
wait_agent(VbFixture *f, const VqGuest *g)
{
    for (;;) {
        g_autoptr(GVariant) p = vq_wait_domain_signal(f, g, "AgentEvent", NULL);
        gint state, reason;
        g_variant_get(p, "(ii)", &state, &reason);
        if (state == VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED)
            return;
    }
}

static void
boot_guest(VbFixture *f, VqGuest *g, guint vcpus)
{
    g_autofree gchar *xml = guest_xml(g, vcpus);

    vq_guest_start(f, g, xml);
    wait_agent(f, g);
}

/* One agent command through libvirt (virsh qemu-agent-command). */
static gchar *
agent(const VqGuest *g, const char *json)
{
    return vq_virsh("qemu-agent-command", g->name, "--timeout", "30", json, NULL);
}

/* The value of "return" in an agent reply that is a string or number. */
static gchar *
agent_return(const char *reply)
{
    const char *p = strstr(reply, "\"return\":");
    g_assert_nonnull(p);
    p += strlen("\"return\":");
    if (*p == '"') {
        const char *end = strchr(p + 1, '"');
        return g_strndup(p + 1, (gsize)(end - p - 1));
    }
    return g_strndup(p, strcspn(p, ",}"));
}

/* A file of the guest, read by the agent. */
static gchar *
guest_file(const VqGuest *g, const char *path)
{
    g_autofree gchar *open = g_strdup_printf("{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"%s\"}}", path);
    g_autofree gchar *opened = agent(g, open);
    g_autofree gchar *handle = agent_return(opened);
    g_autofree gchar *read = g_strdup_printf("{\"execute\":\"guest-file-read\",\"arguments\":"
                                             "{\"handle\":%s,\"count\":65536}}", handle);
    g_autofree gchar *reply = agent(g, read);
    g_autofree gchar *close = g_strdup_printf("{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":%s}}",
                                              handle);
    g_free(agent(g, close));
    const char *b64 = strstr(reply, "\"buf-b64\":\"");
    g_assert_nonnull(b64);
    b64 += strlen("\"buf-b64\":\"");
    g_autofree gchar *encoded = g_strndup(b64, strcspn(b64, "\""));
    gsize len;
    guchar *data = g_base64_decode(encoded, &len);
    gchar *text = g_strndup((const gchar *)data, len);
    g_free(data);
    return text;
}

/* root's password hash in the guest's /etc/shadow. */
static gchar *
root_hash(const VqGuest *g)
{
    g_autofree gchar *shadow = guest_file(g, "/etc/shadow");
    g_auto(GStrv) lines = g_strsplit(shadow, "\n", -1);

    for (gchar **l = lines; *l; l++)
        if (g_str_has_prefix(*l, "root:")) {
            g_auto(GStrv) fields = g_strsplit(*l, ":", 3);
            return g_strdup(fields[1]);
        }
    g_error("no root in the guest's /etc/shadow:\n%s", shadow);
}

/* The value of a "key : value" line of virsh's output. */
static gchar *
virsh_field(const char *out, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

    for (gchar **l = lines; *l; l++) {
        g_auto(GStrv) kv = g_strsplit(*l, ":", 2);
        if (kv[0] && kv[1] && g_str_equal(g_strstrip(kv[0]), key))
            return g_strdup(g_strstrip(kv[1]));
    }
    g_error("no %s in:\n%s", key, out);
}

static guint64
guest_time(const VqGuest *g)
{
    g_autofree gchar *out = vq_virsh("domtime", g->name, NULL);
    g_autofree gchar *t = virsh_field(out, "Time");
    return g_ascii_strtoull(t, NULL, 10);
}

static gchar *
freeze_status(const VqGuest *g)
{
    g_autofree gchar *reply = agent(g, "{\"execute\":\"guest-fsfreeze-status\"}");
    return agent_return(reply);
}

/* ---- file systems, time, passwords, addresses, vCPUs ------------------------------------------- */

static void
test_filesystems(VbFixture *f, const VqGuest *g)
{
    /* What the agent lists is what virsh domfsinfo lists: the ext4 image
     * on a loop device (no disk of the domain behind it, so no alias). */
    g_autoptr(GVariant) r = dom_call(f, g, "GetFSInfo", g_variant_new("(u)", 0), "(a(sssas))");
    g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
    g_assert_cmpuint(g_variant_n_children(list), ==, 1);
    const char *mp, *name, *type;
    g_autofree const char **aliases = NULL;
    g_variant_get_child(list, 0, "(&s&s&s^a&s)", &mp, &name, &type, &aliases);
    g_assert_cmpstr(mp, ==, "/mnt/data");
    g_assert_cmpstr(type, ==, "ext4");
    g_assert_cmpuint(g_strv_length((gchar **)aliases), ==, 0);
    g_autofree gchar *fsinfo = vq_virsh("domfsinfo", g->name, NULL);
    g_autofree gchar *line = g_strdup_printf("%s", mp);
    g_assert_nonnull(strstr(fsinfo, line));
    g_assert_nonnull(strstr(fsinfo, name));

    /* Frozen: the agent says so and refuses what would touch the disk. */
    g_autoptr(GVariant) fr = dom_call(f, g, "FSFreeze", g_variant_new("(@asu)", strings(NULL), 0), "(u)");
    guint32 n;
    g_variant_get(fr, "(u)", &n);
    g_assert_cmpuint(n, ==, 1);
    g_autofree gchar *frozen = freeze_status(g);
    g_assert_cmpstr(frozen, ==, "frozen");
    g_autoptr(GError) busy = dom_err(f, g, "GetTime", g_variant_new("(u)", 0));
    vb_assert_error(busy, VB_ERR_INTERNAL);
    assert_text(busy, "the agent is in frozen state");

    /* QEMU's agent driver thaws all or nothing. */
    g_autoptr(GError) some = dom_err(f, g, "FSThaw", g_variant_new("(@asu)", strings("/mnt/data", NULL), 0));
    vb_assert_error(some, VB_ERR_ARG_UNSUPPORTED);
    assert_text(some, "specifying mountpoints is not supported");
    g_autofree gchar *still = freeze_status(g);
    g_assert_cmpstr(still, ==, "frozen");
    g_autoptr(GVariant) th = dom_call(f, g, "FSThaw", g_variant_new("(@asu)", strings(NULL), 0), "(u)");
    g_variant_get(th, "(u)", &n);
    g_assert_cmpuint(n, ==, 1);
    g_autofree gchar *thawed = freeze_status(g);
    g_assert_cmpstr(thawed, ==, "thawed");

    /* Freezing one mount point is what the agent can do. */
    g_autoptr(GVariant) fr2 = dom_call(f, g, "FSFreeze", g_variant_new("(@asu)", strings("/mnt/data", NULL), 0),
                                       "(u)");
    g_variant_get(fr2, "(u)", &n);
    g_assert_cmpuint(n, ==, 1);
    g_autoptr(GVariant) th2 = dom_call(f, g, "FSThaw", g_variant_new("(@asu)", strings(NULL), 0), "(u)");

    /* Trimming: every file system, not one of them. */
    DOM_OK(f, g, "FSTrim", g_variant_new("(stu)", "", (guint64)0, 0));
    g_autoptr(GError) one = dom_err(f, g, "FSTrim", g_variant_new("(stu)", "/mnt/data", (guint64)0, 0));
    vb_assert_error(one, VB_ERR_ARG_UNSUPPORTED);
    assert_text(one, "Specifying mount point is not supported");
}

static void
test_time_and_password(VbFixture *f, const VqGuest *g)
{
    /* A set time, then the host's: virsh domtime reads the guest's clock. */
    DOM_OK(f, g, "SetTime", g_variant_new("(tuu)", (guint64)1000000000, 0, 0));
    guint64 t = guest_time(g);
    g_assert_cmpuint(t, >=, 1000000000);
    g_assert_cmpuint(t, <, 1000000000 + 3600);
    guint64 now = (guint64)(g_get_real_time() / G_USEC_PER_SEC);
    DOM_OK(f, g, "SetTime", g_variant_new("(tuu)", now, 0, 0));
    g_assert_cmpuint(guest_time(g), >=, now);

    /* The hash the guest stores is the password's, under the salt it
     * chose; a hash given as such is stored as given. */
    DOM_OK(f, g, "SetUserPassword", g_variant_new("(ssu)", "root", "Sw0rdf1sh", 0));
    g_autofree gchar *hash = root_hash(g);
    g_assert_true(g_str_has_prefix(hash, "$6$"));
    g_auto(GStrv) parts = g_strsplit(hash, "$", -1);
    const char *mkpasswd[] = { "busybox", "mkpasswd", "-m", "sha512", "-S", parts[2], "Sw0rdf1sh", NULL };
    g_autofree gchar *expected = vq_run_argv(mkpasswd);
    g_assert_cmpstr(hash, ==, g_strstrip(expected));
    const char *given = "$6$virtbus$bNGdcgOIbyNArV6b23Lw7wAdpFWCfqFCzdkdmv4ERSzQ0iGYJt04hhdNoGzY7l0Zx6.zHwmG6IGGQJ0Bn1wB20";
    DOM_OK(f, g, "SetUserPassword", g_variant_new("(ssu)", "root", given, VIR_DOMAIN_PASSWORD_ENCRYPTED));
    g_autofree gchar *stored = root_hash(g);
    g_assert_cmpstr(stored, ==, given);

    /* The guest has no such user: the agent's failure, nothing changed. */
    g_autoptr(GError) e = dom_err(f, g, "SetUserPassword", g_variant_new("(ssu)", "nosuchuser", "x", 0));
    vb_assert_error(e, VB_ERR_INTERNAL);
    assert_text(e, "guest-set-user-password");
    g_autofree gchar *unchanged = root_hash(g);
    g_assert_cmpstr(unchanged, ==, given);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* "name hwaddr address/prefix" for each IPv4 address, sorted: from the
 * call, and from virsh. The guest's IPv6 addresses come and go with router
 * advertisements; its IPv4 ones are settled once DHCP is done. */
static gchar *
ipv4_from_call(VbFixture *f, const VqGuest *g)
{
    g_autoptr(GVariant) r = dom_call(f, g, "InterfaceAddresses",
                                     g_variant_new("(uu)", VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0),
                                     "(a(ssa(isu)))");
    g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

    for (gsize i = 0; i < g_variant_n_children(list); i++) {
        const char *name, *hwaddr;
        g_autoptr(GVariant) addrs = NULL;
        g_variant_get_child(list, i, "(&s&s@a(isu))", &name, &hwaddr, &addrs);
        for (gsize j = 0; j < g_variant_n_children(addrs); j++) {
            gint type;
            const char *addr;
            guint32 prefix;
            g_variant_get_child(addrs, j, "(i&su)", &type, &addr, &prefix);
            if (type == VIR_IP_ADDR_TYPE_IPV4)
                g_ptr_array_add(out, g_strdup_printf("%s %s %s/%u", name, hwaddr, addr, prefix));
        }
    }
    g_ptr_array_sort(out, compare_strings);
    g_ptr_array_add(out, NULL);
    return g_strjoinv(",", (gchar **)out->pdata);
}

static gchar *
ipv4_from_virsh(const VqGuest *g)
{
    g_autofree gchar *out = vq_virsh("domifaddr", g->name, "--source", "agent", "--full", NULL);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);

    for (gchar **l = lines; *l; l++) {
        g_auto(GStrv) cols = g_strsplit_set(g_strstrip(*l), " \t", -1);
        g_autoptr(GPtrArray) words = g_ptr_array_new();
        for (gchar **c = cols; *c; c++)
            if (**c)
                g_ptr_array_add(words, *c);
        if (words->len == 4 && g_str_equal(g_ptr_array_index(words, 2), "ipv4"))
            g_ptr_array_add(list, g_strdup_printf("%s %s %s", (char *)g_ptr_array_index(words, 0),
                                                  (char *)g_ptr_array_index(words, 1),
                                                  (char *)g_ptr_array_index(words, 3)));
    }
    g_ptr_array_sort(list, compare_strings);
    g_ptr_array_add(list, NULL);
    return g_strjoinv(",", (gchar **)list->pdata);
}

static void
test_addresses(VbFixture *f, const VqGuest *g)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)VQ_WAIT_MS * 1000;
    g_autofree gchar *seen = NULL;

    /* The guest asks for its address by DHCP in the background; nothing
     * announces the lease, so ask until eth0 has one. */
    for (;;) {
        g_free(seen);
        seen = ipv4_from_virsh(g);
        if (strstr(seen, "eth0 "))
            break;
        if (g_get_monotonic_time() > deadline)
            g_error("the guest got no IPv4 address: %s", seen);
        g_usleep(200 * 1000);
    }
    g_autofree gchar *ours = ipv4_from_call(f, g);
    g_assert_cmpstr(ours, ==, seen);
    g_assert_nonnull(strstr(ours, "lo 00:00:00:00:00:00 127.0.0.1/8"));
}

static void
test_vcpus(VbFixture *f, const VqGuest *g)
{
    g_autoptr(GVariant) r = dom_call(f, g, "GetGuestVcpus", g_variant_new("(u)", 0), "(a{sv})");
    g_autoptr(GVariant) params = g_variant_get_child_value(r, 0);
    const char *keys[] = { "vcpus", "online", "offlinable" };
    const char *want[] = { "0-1", "0-1", "1" };

    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        g_autoptr(GVariant) outer = g_variant_lookup_value(params, keys[i], G_VARIANT_TYPE_VARIANT);
        g_assert_nonnull(outer);
        g_autoptr(GVariant) v = g_variant_get_variant(outer);
        g_assert_cmpstr(g_variant_get_string(v, NULL), ==, want[i]);
    }

    /* vCPU 1 offline, as the guest's agent and virsh see it, then back. */
    DOM_OK(f, g, "SetGuestVcpus", g_variant_new("(@abiu)", bools(2, 1), 0, 0));
    g_autofree gchar *out = vq_virsh("guestvcpus", g->name, NULL);
    g_autofree gchar *online = virsh_field(out, "online");
    g_assert_cmpstr(online, ==, "0");
    DOM_OK(f, g, "SetGuestVcpus", g_variant_new("(@abiu)", bools(2, 1), 1, 0));
    g_autofree gchar *out2 = vq_virsh("guestvcpus", g->name, NULL);
    g_autofree gchar *online2 = virsh_field(out2, "online");
    g_assert_cmpstr(online2, ==, "0-1");

    /* Linux cannot take its boot CPU away. */
    g_autoptr(GError) e = dom_err(f, g, "SetGuestVcpus", g_variant_new("(@abiu)", bools(2, 0), 0, 0));
    vb_assert_error(e, VB_ERR_OPERATION_UNSUPPORTED);
    assert_text(e, "vCPU '0' is not offlinable");
}

static void
test_agent(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-agent");

    boot_guest(f, g, 2);
    test_filesystems(f, g);
    test_time_and_password(f, g);
    test_addresses(f, g);
    test_vcpus(f, g);
    vq_guest_remove(g);
}

/* ---- waking a suspended guest ------------------------------------------------------------------- */

static void
test_pm_wakeup(VbFixture *f, gconstpointer data)
{
    g_autoptr(VqGuest) g = vq_guest_new("vq-wakeup");

    boot_guest(f, g, 1);
    /* A running guest is not asleep: QEMU's refusal. */
    g_autoptr(GError) e = dom_err(f, g, "PMWakeup", g_variant_new("(u)", 0));
    vb_assert_error(e, VB_ERR_INTERNAL);
    assert_text(e, "guest is not in suspended state");

    /* Suspended to RAM through libvirt (the agent asks the guest's
     * kernel), announced by PMSuspend; then woken through virtbusd. */
    g_free(vq_virsh("dompmsuspend", g->name, "--target", "mem", NULL));
    g_autoptr(GVariant) s = vq_wait_domain_signal(f, g, "PMSuspend", NULL);
    g_autofree gchar *asleep = vq_virsh("domstate", g->name, NULL);
    g_assert_cmpstr(g_strstrip(asleep), ==, "pmsuspended");

    DOM_OK(f, g, "PMWakeup", g_variant_new("(u)", 0));
    g_autoptr(GVariant) w = vq_wait_domain_signal(f, g, "PMWakeup", NULL);
    g_autofree gchar *awake = vq_virsh("domstate", g->name, "--reason", NULL);
    g_assert_cmpstr(g_strstrip(awake), ==, "running (event wakeup)");
    vq_guest_remove(g);
}

/* ---- set-up ----------------------------------------------------------------------------------------- */

/* Builds the guest (or finds it built) in the program's main process; the
 * case processes find it through the environment. */
static void
build_guest(void)
{
    const char *srcdir = g_getenv("VIRTBUS_SRCDIR");
    g_autofree gchar *script = g_build_filename(srcdir ? srcdir : ".", "tests", "guest", "build-guest", NULL);
    const char *dir = g_getenv(GUEST_ENV);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    gint status;

    guest_dir = g_strdup(dir && *dir ? dir : GUEST_DEFAULT_DIR);
    if (g_test_subprocess())
        return;
    const char *argv[] = { script, guest_dir, NULL };
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_autofree gchar *why = g_strdup_printf("tests/guest/build-guest %s failed: %s%s", guest_dir,
                                                error ? error->message : "", err ? err : "");
        /* A machine without the guest's packages skips; any other failure
         * fails. */
        vq_set_unavailable(why, !(err && strstr(err, "missing Debian packages")));
        return;
    }
    g_setenv(GUEST_ENV, guest_dir, TRUE);
}

int
main(int argc, char **argv)
{
    vq_init(&argc, &argv, "domain-agent");
    if (vq_available())
        build_guest();
    vq_add("/domain-agent/agent", test_agent);
    vq_add("/domain-agent/pm-wakeup", test_pm_wakeup);
    return vq_run();
}
