/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host paths are permissions: a caller other than root may name a host file
 * that libvirtd opens as root only below a directory the administrator
 * allowed (--host-path-dir; the service of these cases allows none). That
 * holds for a plain path argument (CoreDump's to, Save's to), for the paths
 * in XML (BlockCopy's destination), and for an argument that is a host path
 * only with a flag (BlockRebase's base with VIR_DOMAIN_BLOCK_REBASE_COPY).
 * The refusal comes before polkit or libvirt is asked and names the
 * canonical path; nothing is written. Without the flag, BlockRebase's base
 * names an image of the disk's chain, and the call goes on to polkit.
 *
 * Callers and polkitd as in polkit-harness.h; needs root.
 */
#include "polkit-harness.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_DOMAIN_PATH "/org/libvirt/Test/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f"
#define NOT_BELOW "is not below a directory where callers may name host files"

static void
assert_path_refused(VbpCaller *c, const char *method, GVariant *args, const char *canonical)
{
    g_autoptr(VbpReply) r = vbp_call_err(c, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, method, args, VBP_DBUS_ACCESS_DENIED);
    g_autofree gchar *want = g_strdup_printf("%s %s", canonical, NOT_BELOW);

    if (!strstr(r->error_message, want))
        g_error("%s: \"%s\" does not say \"%s\"", method, r->error_message, want);
}

static void
test_host_paths_refused(VbpFixture *f)
{
    g_autoptr(VbpCaller) nobody = vbp_caller_new(VBP_USER_NOBODY);
    /* Through a symbolic link: the refusal names where it leads. */
    g_autofree gchar *real = g_build_filename(f->vb.tmpdir, "real", NULL);
    g_autofree gchar *link = g_build_filename(f->vb.tmpdir, "link", NULL);
    g_autofree gchar *named = g_build_filename(link, "guest.core", NULL);
    g_autofree gchar *canonical = NULL;
    g_autofree gchar *real_canon = NULL;

    g_assert_cmpint(g_mkdir(real, 0755), ==, 0);
    g_assert_cmpint(symlink(real, link), ==, 0);
    real_canon = realpath(real, NULL);
    canonical = g_build_filename(real_canon, "guest.core", NULL);

    assert_path_refused(nobody, "CoreDump", g_variant_new("(suu)", named, 0, 0), canonical);
    assert_path_refused(nobody, "Save", g_variant_new("(ssu)", named, "", 0), canonical);
    g_autofree gchar *dest = g_strdup_printf("<disk type='file'><source file='%s'/></disk>", named);
    assert_path_refused(nobody, "BlockCopy",
                        g_variant_new("(ss@a{sv}u)", "vda", dest, g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0),
                                      0),
                        canonical);
    assert_path_refused(nobody, "BlockRebase",
                        g_variant_new("(sstu)", "vda", named, (guint64)0, VIR_DOMAIN_BLOCK_REBASE_COPY), canonical);

    /* Without the copy flag the path rule does not apply: polkit is asked
     * for block-write, which nobody does not have. */
    g_autoptr(VbpReply) r = vbp_caller_call(nobody, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "BlockRebase",
                                            g_variant_new("(sstu)", "vda", named, (guint64)0, 0), FALSE);
    g_assert_true(vbp_reply_is_refusal(r));
    g_assert_null(strstr(r->error_message, NOT_BELOW));
    g_autofree gchar *action = vbp_reply_action(r);
    g_assert_cmpstr(action, ==, "org.libvirt.dbus.domain.block-write");

    /* Nothing was written, and root, whom no directory limits, is served
     * (libvirt's test driver writes its dump). */
    g_assert_false(g_file_test(canonical, G_FILE_TEST_EXISTS));
    g_autoptr(GVariant) ok = vb_call_ok(&f->vb, TEST_DOMAIN_PATH, VB_IFACE_DOMAIN, "CoreDump",
                                        g_variant_new("(suu)", named, 0, 0), "()");
    g_assert_true(g_file_test(canonical, G_FILE_TEST_IS_REGULAR));
}

int
main(int argc, char **argv)
{
    vbp_caller_main_maybe(argc, argv);
    vbp_init(&argc, &argv);
    vbp_add("/domain-paths/host-paths-refused", test_host_paths_refused);
    int ret = vb_run();
    vbp_cleanup();
    return ret;
}
