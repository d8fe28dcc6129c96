/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Secret: one object per secret. The permissions are
 * libvirt's own (src/remote/remote_protocol.x, @acl). */
#include "call.h"
#include "lifecycle.h"
#include "ops.h"

static const Row secret_rows[] = {
        /* Known from the lookup: seeing the secret is enough. */
        PROPERTY("UUID", SECRET_UUID, "s"),
        PROPERTY("UsageID", SECRET_USAGE_ID, "s"),
        PROPERTY("UsageType", SECRET_USAGE_TYPE, "i"),

        METHOD("GetValue", ARGS("u", flags), RESULT("ay", value), .perms = { PERM("secret", "read-secure") },
               .run = op_secret_get_value),
        METHOD("GetXMLDesc", ARGS("u", flags), RESULT("s", xml), .perms = { PERM("secret", "read") },
               SECRET_STRING(virSecretGetXMLDesc)),
        METHOD("SetValue", ARGS("ay", value, "u", flags), NO_RESULT, .perms = { PERM("secret", "write") },
               .flags = ROW_CHANGE, .run = op_secret_set_value),
        METHOD("Undefine", NO_ARGS, NO_RESULT, .perms = { PERM("secret", "delete") }, .flags = ROW_CHANGE,
               SECRET_VOID(virSecretUndefine)),
};

INTERFACE(secret_interface, "org.libvirt.Secret", KIND_SECRET, ROWS(secret_rows));
