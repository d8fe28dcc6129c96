/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "errors.h"
#include "util.h"

struct error_entry {
        int code;
        const char *name;
};

static const struct error_entry error_table[] = {
#define VIRTBUS_ERROR(c, n) { c, VIRTBUS_ERROR_PREFIX n },
#include "errors-table.h"
#undef VIRTBUS_ERROR
};

static const sd_bus_error_map virtbus_error_map[] = {
        SD_BUS_ERROR_MAP(VIRTBUS_ERROR_PREFIX "NoDomain", ENOENT),
        SD_BUS_ERROR_MAP(VIRTBUS_ERROR_PREFIX "OperationInvalid", EBUSY),
        SD_BUS_ERROR_MAP(VIRTBUS_ERROR_PREFIX "NoSupport", EOPNOTSUPP),
        SD_BUS_ERROR_MAP(VIRTBUS_ERROR_PREFIX "InvalidArg", EINVAL),
        SD_BUS_ERROR_MAP(VIRTBUS_ERROR_XML, EBADMSG),
        SD_BUS_ERROR_MAP(VIRTBUS_ERROR_NO_CONNECT, ENOTCONN),
        SD_BUS_ERROR_MAP_END
};

int errors_register(void) {
        return sd_bus_error_add_map(virtbus_error_map);
}

const char *errors_name_for_code(int code) {
        for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                if (error_table[i].code == code)
                        return error_table[i].name;
        return VIRTBUS_ERROR_PREFIX "Unknown";
}

int errors_set_from_virt(sd_bus_error *error, const virError *err) {
        if (!err || err->code == VIR_ERR_OK)
                return sd_bus_error_set(error, VIRTBUS_ERROR_PREFIX "InternalError",
                                        "libvirt reported a failure without an error");
        if (err->message && !utf8_is_valid(err->message)) {
                /* libvirt quotes file names and guest data: D-Bus texts
                 * must be UTF-8. */
                _cleanup_free_ char *clean = utf8_truncate(err->message, strlen(err->message));
                return sd_bus_error_set(error, errors_name_for_code(err->code), clean);
        }
        return sd_bus_error_set(error, errors_name_for_code(err->code),
                                err->message ? err->message : "unknown libvirt error");
}
