/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the checks of caller-supplied XML (base/xmlcheck.c).
 * Any text gets an answer, and every error text is valid UTF-8 (it goes
 * back to the caller over D-Bus). */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xmlcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        xmlInitParser();
        return 0;
}

static void check_error(sd_bus_error *e) {
        if (sd_bus_error_is_set(e) && (!e->message || !utf8_is_valid(e->message)))
                abort();
        sd_bus_error_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *xml = malloc(size + 1), *name = NULL, *uuid = NULL;
        XmlFacts f = { 0 };

        if (!xml)
                return 0;
        memcpy(xml, data, size);
        xml[size] = 0;
        /* D-Bus strings are valid UTF-8: so is everything the checks see. */
        if (!utf8_is_valid(xml)) {
                free(xml);
                return 0;
        }
        (void) xml_check_wellformed(xml, "Domain XML", &e);
        check_error(&e);
        if (xml_check_domain(xml, "Domain XML", &e, &name, &uuid) >= 0) {
                if ((name && !utf8_is_valid(name)) || (uuid && !utf8_is_valid(uuid)))
                        abort();
        }
        check_error(&e);
        free(name);
        free(uuid);
        if (xml_check_object(xml, "Network XML", &e, &f) >= 0)
                xml_facts_clear(&f);
        check_error(&e);
        free(xml);
        return 0;
}
