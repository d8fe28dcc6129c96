/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "auth.h"
#include "manager.h"
#include "util.h"

struct Auth {
        Manager *manager;
};

Auth *auth_new(Manager *m) {
        Auth *a = xmalloc0(sizeof(*a));

        a->manager = m;
        return a;
}

Auth *auth_free(Auth *a) {
        free(a);
        return NULL;
}

int auth_check(Auth *a, Job *j) {
        return 1;
}

int auth_check_read(sd_bus_message *m, sd_bus_error *error) {
        return 0;
}

bool auth_may_see(sd_bus_message *m, DomainEntry *e) {
        return true;
}
