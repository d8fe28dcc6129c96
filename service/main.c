/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbusd: publishes libvirt domains on D-Bus as org.libvirt. */
#include <getopt.h>
#include <malloc.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "adapters.h"
#include "authority.h"
#include "conn.h"
#include "dispatch.h"
#include "errors.h"
#include "log.h"
#include "methods.h"
#include "testseam.h"
#include "util.h"

#define EXIT_USAGE 2

typedef struct Driver {
        const char *name;
        const char *uri;
} Driver;

/* The same connections libvirt-dbus serves on each bus. */
static const Driver session_drivers[] = {
        { "QEMU", "qemu:///session" },
        { "Test", "test:///default" },
        { "UML", "uml:///session" },
        { "VBox", "vbox:///session" },
        { "VMware", "vmwarews:///session" },
};

static const Driver system_drivers[] = {
        { "Bhyve", "bhyve:///system" },
        { "LXC", "lxc:///" },
        { "OpenVZ", "openvz:///system" },
        { "QEMU", "qemu:///system" },
        { "Test", "test:///default" },
        { "UML", "uml:///system" },
        { "VBox", "vbox:///system" },
        { "VMware", "vmwarews:///system" },
        { "VZ", "vz:///system" },
        { "Xen", "xen:///" },
};

typedef struct Options {
        int bus;                /* 0 default, 1 system, 2 session */
        unsigned threads;
        Driver *connects;
        size_t nconnects;
        char **host_path_dirs;
} Options;

static void help(void) {
        printf("Usage: virtbusd [OPTION...]\n"
               "Publish libvirt domains on D-Bus as the org.libvirt service.\n\n"
               "  --system               Serve on the system bus (default for root)\n"
               "  --session              Serve on the session bus (default otherwise)\n"
               "  --connect NAME=URI     Serve libvirt URI at /org/libvirt/NAME; repeatable,\n"
               "                         replaces the default connections\n"
               "  --threads N            Worker threads for libvirt calls (2-64, default 8)\n"
               "  --host-path-dir DIR    Callers other than root may name host files below DIR\n"
               "                         (save images, core dumps); repeatable, default none\n"
               "  --verbose              Log every call and event\n"
               "  --print-table          Print the method table with its permissions and exit\n"
               "  --version              Print the version and exit\n"
               "  --help                 Print this help and exit\n");
}

static bool valid_name(const char *s, size_t n) {
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

static int parse_args(int argc, char **argv, Options *o) {
        static const struct option opts[] = {
                { "system", no_argument, NULL, 's' },
                { "session", no_argument, NULL, 'S' },
                { "connect", required_argument, NULL, 'c' },
                { "threads", required_argument, NULL, 't' },
                { "host-path-dir", required_argument, NULL, 'p' },
                { "verbose", no_argument, NULL, 'v' },
                { "print-table", no_argument, NULL, 'T' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        o->bus = 1;
                        break;
                case 'S':
                        o->bus = 2;
                        break;
                case 'c': {
                        const char *eq = strchr(optarg, '=');
                        if (!eq || !valid_name(optarg, (size_t) (eq - optarg)) || !eq[1]) {
                                fprintf(stderr, "virtbusd: --connect wants NAME=URI with NAME made of "
                                        "letters, digits and '_': %s\n", optarg);
                                return -EINVAL;
                        }
                        o->connects = realloc(o->connects, sizeof(Driver) * (o->nconnects + 1));
                        if (!o->connects)
                                abort();
                        o->connects[o->nconnects].name = strndup(optarg, (size_t) (eq - optarg));
                        o->connects[o->nconnects].uri = xstrdup(eq + 1);
                        for (size_t i = 0; i < o->nconnects; i++)
                                if (streq(o->connects[i].name, o->connects[o->nconnects].name)) {
                                        fprintf(stderr, "virtbusd: connection name %s given twice\n",
                                                o->connects[i].name);
                                        return -EINVAL;
                                }
                        o->nconnects++;
                        break;
                }
                case 't': {
                        char *end;
                        long n = strtol(optarg, &end, 10);
                        if (*end || n < 2 || n > 64) {
                                fprintf(stderr, "virtbusd: --threads wants a number from 2 to 64\n");
                                return -EINVAL;
                        }
                        o->threads = (unsigned) n;
                        break;
                }
                case 'p': {
                        char *canon = realpath(optarg, NULL);
                        size_t n = strv_length(o->host_path_dirs);
                        if (!canon || optarg[0] != '/') {
                                fprintf(stderr, "virtbusd: --host-path-dir wants an existing absolute directory: %s\n",
                                        optarg);
                                free(canon);
                                return -EINVAL;
                        }
                        o->host_path_dirs = xrealloc(o->host_path_dirs, sizeof(char *) * (n + 2));
                        o->host_path_dirs[n] = canon;
                        o->host_path_dirs[n + 1] = NULL;
                        break;
                }
                case 'v':
                        log_verbose = true;
                        break;
                case 'T':
                        if (!table_validate())
                                return -EINVAL;
                        table_print(stdout);
                        return 0;
                case 'V':
                        printf("virtbusd %s\n", VIRTBUS_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "virtbusd: unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static void ignore_libvirt_error(void *userdata, virErrorPtr err) {
        /* Errors are reported to callers; libvirt must not print them. */
}

static int on_name_acquired(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        uint32_t result = 0;

        if (!e && sd_bus_message_read(m, "u", &result) >= 0 && result != 1 /* PRIMARY_OWNER */) {
                log_error("Failed to own org.libvirt: %s",
                          result == 3 ? "another service owns it (libvirt-dbus?)" : "not the primary owner");
                sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), EXIT_FAILURE);
                return 0;
        }
        if (e) {
                log_error("Failed to own org.libvirt: %s", e->message);
                sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), EXIT_FAILURE);
                return 0;
        }
        log_info("Serving org.libvirt");
        sd_notify(false, "READY=1\nSTATUS=Serving org.libvirt");
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
        return sd_event_exit(sd_event_source_get_event(s), EXIT_SUCCESS);
}

int main(int argc, char **argv) {
        Options o = { .threads = 8 };
        sd_event *loop = NULL;
        sd_bus *bus = NULL;
        Manager *m = NULL;
        Authority *auth = NULL;
        Dispatcher *d = NULL;
        const Driver *drivers;
        size_t ndrivers;
        bool system_bus;
        sigset_t mask;
        int r, ret = EXIT_FAILURE;

        r = parse_args(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        system_bus = o.bus == 1 || (o.bus == 0 && geteuid() == 0);
        drivers = o.nconnects ? o.connects : system_bus ? system_drivers : session_drivers;
        ndrivers = o.nconnects ? o.nconnects
                               : system_bus ? ELEMENTSOF(system_drivers) : ELEMENTSOF(session_drivers);

        /* Start-up order:
         * 1. block the exit signals before any thread exists, so every
         *    thread inherits the mask and only the loop sees them;
         * 2. check the method table, initialize libvirt and libxml2 while
         *    single-threaded;
         * 3. register libvirt's event implementation and start its thread
         *    (manager_new), before any connection is opened;
         * 4. register every object (the bus adapters first, then the
         *    dispatcher's observer, so replies follow their signals), then
         *    start the connections in the background, then ask for the bus
         *    name: a client finds the objects without waiting for libvirt. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* Workers allocate little; per-thread arenas would only hold on to
         * freed memory. */
        mallopt(M_ARENA_MAX, 2);

        if (!table_validate())
                return EXIT_FAILURE;
        if (virInitialize() < 0) {
                log_error("Failed to initialize libvirt");
                return EXIT_FAILURE;
        }
        virSetErrorFunc(NULL, ignore_libvirt_error);
        xmlInitParser();
        errors_register();

        r = sd_event_default(&loop);
        if (r < 0)
                goto out;
        sd_event_add_signal(loop, NULL, SIGTERM, on_exit_signal, NULL);
        sd_event_add_signal(loop, NULL, SIGINT, on_exit_signal, NULL);
        /* Pings the service manager's watchdog from the loop itself, so a
         * stuck loop is noticed. */
        sd_event_set_watchdog(loop, true);

        r = system_bus ? sd_bus_open_system(&bus) : sd_bus_open_user(&bus);
        if (r < 0) {
                log_error("Failed to connect to the %s bus: %s", system_bus ? "system" : "session",
                          strerror(-r));
                goto out;
        }
        sd_bus_set_exit_on_disconnect(bus, true);
        r = sd_bus_attach_event(bus, loop, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto out;

        m = manager_new(loop, o.threads);
        if (!m)
                goto out;
        for (size_t i = 0; i < ndrivers; i++)
                manager_add_connection(m, drivers[i].name, drivers[i].uri);
        auth = authority_new(loop, bus, system_bus,
                             &(AuthorityLimits) {
                                     /* The bus lets one connection wait for 128 replies. */
                                     .max_sent = 32,
                                     .max_sent_per_user = test_seam_number("VIRTBUS_TEST_AUTH_PER_USER", 8),
                                     .max_interactive = 8,
                                     .max_interactive_per_user = 2,
                                     .max_queued_per_user = 16384,
                                     .cache_size = test_seam_number("VIRTBUS_TEST_AUTH_CACHE_SIZE", 65536),
                                     /* D-Bus's own default: a polkitd that is
                                      * only slow (a loaded host) still answers. */
                                     .timeout_usec = test_seam_number("VIRTBUS_TEST_AUTH_TIMEOUT_MS", 25000) * 1000ULL,
                             });
        d = dispatcher_new(loop, bus, m, auth,
                           &(DispatchOptions) {
                                   .authorize = system_bus,
                                   .max_calls = 4096,
                                   .max_calls_per_user = test_seam_number("VIRTBUS_TEST_CALLS_PER_USER", 1024),
                                   /* Well below LimitNOFILE= of the unit. */
                                   .max_fds_per_user = test_seam_number("VIRTBUS_TEST_FDS_PER_USER", 256),
                                   .max_waiting_per_user = test_seam_number("VIRTBUS_TEST_WAITING_PER_USER", 256),
                                   .host_path_dirs = o.host_path_dirs,
                           });
        r = bus_register(bus, m, d);
        if (r < 0) {
                log_error("Failed to register the objects: %s", strerror(-r));
                goto out;
        }
        r = test_seam_register(bus, auth, d);
        if (r < 0)
                goto out;
        manager_observe(m);
        dispatcher_observe(d);
        manager_start(m);
        r = sd_bus_request_name_async(bus, NULL, "org.libvirt", 0, on_name_acquired, NULL);
        if (r < 0) {
                log_error("Failed to request org.libvirt: %s", strerror(-r));
                goto out;
        }
        log_info("virtbusd %s starting on the %s bus", VIRTBUS_VERSION, system_bus ? "system" : "session");

        r = sd_event_loop(loop);
        ret = r < 0 ? EXIT_FAILURE : r;
        log_info("Stopped");
out:
        if (r < 0 && ret == EXIT_FAILURE)
                log_error("Exiting: %s", strerror(-r));
        /* Calls first (they refer to the connections' tables and ask the
         * polkit engine to forget their questions), then what they used. */
        dispatcher_free(d);
        manager_free(m);
        authority_free(auth);
        sd_bus_flush_close_unref(bus);
        bus_unregister();
        sd_event_unref(loop);
        for (size_t i = 0; i < o.nconnects; i++) {
                free((char *) o.connects[i].name);
                free((char *) o.connects[i].uri);
        }
        free(o.connects);
        strv_free(o.host_path_dirs);
        return ret;
}
