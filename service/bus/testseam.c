/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "testseam.h"
#include "util.h"

#ifdef VIRTBUS_TEST_DELAY_SEAM

typedef struct Seam {
        Authority *auth;
        Dispatcher *dispatcher;
} Seam;

static Seam seam;

static int append_count(sd_bus_message *reply, const char *name, unsigned n) {
        return sd_bus_message_append(reply, "{su}", name, (uint32_t) n);
}

/* Stats() -> a{su}: every count the tests look at, in one reply. */
static int method_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        AuthorityStats as;
        DispatchStats ds;
        int r;

        authority_stats(seam.auth, &as);
        dispatcher_stats(seam.dispatcher, &ds);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{su}");
        if (r >= 0) r = append_count(reply, "auth-cached", as.cached);
        if (r >= 0) r = append_count(reply, "auth-subjects", as.subjects);
        if (r >= 0) r = append_count(reply, "auth-users", as.users);
        if (r >= 0) r = append_count(reply, "auth-queued", as.queued);
        if (r >= 0) r = append_count(reply, "auth-queued-interactive", as.queued_interactive);
        if (r >= 0) r = append_count(reply, "auth-sent", as.sent);
        if (r >= 0) r = append_count(reply, "auth-sent-interactive", as.sent_interactive);
        if (r >= 0) r = append_count(reply, "calls", ds.calls);
        if (r >= 0) r = append_count(reply, "calls-counted", ds.counted);
        if (r >= 0) r = append_count(reply, "fds-held", ds.fds);
        if (r >= 0) r = append_count(reply, "waiting-for-connection", ds.waiting_ready);
        if (r >= 0) r = append_count(reply, "gates", ds.gates);
        if (r >= 0) r = append_count(reply, "turns", ds.turns);
        if (r >= 0) r = append_count(reply, "pool-pending", ds.pool_pending);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* SubjectVerdicts(s name) -> u: verdicts remembered for one caller. */
static int method_subject_verdicts(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name;
        int r = sd_bus_message_read(m, "s", &name);

        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "u", (uint32_t) authority_subject_cached(seam.auth, name));
}

static const sd_bus_vtable seam_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Stats", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{su}", counts), method_stats,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SubjectVerdicts", SD_BUS_ARGS("s", name), SD_BUS_RESULT("u", count),
                                method_subject_verdicts, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int test_seam_register(sd_bus *bus, Authority *auth, Dispatcher *dispatcher) {
        seam.auth = auth;
        seam.dispatcher = dispatcher;
        return sd_bus_add_object_vtable(bus, NULL, TEST_SEAM_PATH, TEST_SEAM_INTERFACE, seam_vtable, NULL);
}

unsigned test_seam_number(const char *name, unsigned def) {
        const char *e = getenv(name);
        char *end;
        unsigned long n;

        if (!e || !*e)
                return def;
        n = strtoul(e, &end, 10);
        return *end || n == 0 || n > 1000000 ? def : (unsigned) n;
}

#else

int test_seam_register(sd_bus *bus, Authority *auth, Dispatcher *dispatcher) {
        return 0;
}

unsigned test_seam_number(const char *name, unsigned def) {
        return def;
}

#endif
