/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A tiny D-Bus client for the bus policy test. It connects to the system
 * bus (DBUS_SYSTEM_BUS_ADDRESS points it at the test's private bus) and
 * does one thing:
 *
 *   busprobe own NAME    request NAME; exit 0 when it became the primary owner
 *   busprobe hold [NAME] (request NAME, then) print the unique name and stay
 *                        on the bus until SIGTERM; GDBus answers
 *                        org.freedesktop.DBus.Peer.Ping for it
 *   busprobe ping DEST   call org.freedesktop.DBus.Peer.Ping on DEST
 *
 * On a D-Bus error it prints the error name on stdout and exits 1, so the
 * test can tell a policy refusal (org.freedesktop.DBus.Error.AccessDenied)
 * from any other failure. */

#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

static int report_error(GError *error)
{
        g_autofree char *name = g_dbus_error_get_remote_error(error);

        printf("%s\n", name ? name : "(no D-Bus error name)");
        fprintf(stderr, "busprobe: %s\n", error->message);
        return 1;
}

static int request_name(GDBusConnection *bus, const char *name)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        guint32 result;

        /* DBUS_NAME_FLAG_DO_NOT_QUEUE: an answer now, not a place in line. */
        reply = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "RequestName",
                                            g_variant_new("(su)", name, 4u), G_VARIANT_TYPE("(u)"),
                                            G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
        if (!reply)
                return report_error(error);
        g_variant_get(reply, "(u)", &result);
        if (result != 1) { /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */
                printf("RequestName answered %u\n", result);
                return 1;
        }
        return 0;
}

static gboolean on_sigterm(gpointer loop)
{
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) bus = NULL;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: busprobe own NAME | hold [NAME] | ping DEST\n");
                return 2;
        }
        bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
        if (!bus)
                return report_error(error);

        if (strcmp(argv[1], "own") == 0 && argc == 3)
                return request_name(bus, argv[2]);

        if (strcmp(argv[1], "ping") == 0 && argc == 3) {
                g_autoptr(GVariant) reply = NULL;

                reply = g_dbus_connection_call_sync(bus, argv[2], "/", "org.freedesktop.DBus.Peer",
                                                    "Ping", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                                                    10000, NULL, &error);
                return reply ? 0 : report_error(error);
        }

        if (strcmp(argv[1], "hold") == 0) {
                g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

                if (argc == 3 && request_name(bus, argv[2]) != 0)
                        return 1;
                printf("%s\n", g_dbus_connection_get_unique_name(bus));
                fflush(stdout);
                g_unix_signal_add(SIGTERM, on_sigterm, loop);
                g_main_loop_run(loop);
                return 0;
        }

        fprintf(stderr, "busprobe: unknown command %s\n", argv[1]);
        return 2;
}
