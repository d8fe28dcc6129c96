/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "xmlcheck.h"

/* Parses @xml once; on failure sets an error naming line and column. */
static int parse(const char *xml, const char *what, sd_bus_error *error, xmlDocPtr *ret) {
        xmlParserCtxtPtr ctxt;
        xmlDocPtr doc;
        size_t len = strlen(xml);

        if (len == 0)
                return sd_bus_error_setf(error, VIRTBUS_ERROR_XML,
                                         "%s: empty XML document", what);
        if (len > XML_MAX_LEN)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "%s: XML document of %zu bytes exceeds the limit of %u",
                                         what, len, XML_MAX_LEN);

        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return -ENOMEM;
        doc = xmlCtxtReadMemory(ctxt, xml, (int) len, "caller.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) {
                xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
                int r = sd_bus_error_setf(error, VIRTBUS_ERROR_XML,
                                          "%s: malformed XML at line %d, column %d: %s",
                                          what, e ? e->line : 0, e ? e->int2 : 0,
                                          e && e->message ? e->message : "parse error");
                /* The message from libxml2 ends in a newline; drop it. */
                if (error->message) {
                        size_t n = strlen(error->message);
                        if (n && error->message[n - 1] == '\n')
                                ((char *) error->message)[n - 1] = 0;
                }
                xmlFreeParserCtxt(ctxt);
                return r;
        }
        xmlFreeParserCtxt(ctxt);
        *ret = doc;
        return 0;
}

int xml_check_wellformed(const char *xml, const char *what, sd_bus_error *error) {
        xmlDocPtr doc = NULL;
        int r = parse(xml, what, error, &doc);

        xmlFreeDoc(doc);
        return r;
}

static char *top_level_text(xmlDocPtr doc, const char *element) {
        xmlNodePtr root = xmlDocGetRootElement(doc);

        for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next)
                if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST element)) {
                        xmlChar *c = xmlNodeGetContent(n);
                        char *s = c ? strdup((const char *) c) : NULL;
                        xmlFree(c);
                        return s;
                }
        return NULL;
}

int xml_check_domain(const char *xml, const char *what, sd_bus_error *error, char **name, char **uuid) {
        xmlDocPtr doc = NULL;
        int r = parse(xml, what, error, &doc);

        if (r < 0)
                return r;
        *name = top_level_text(doc, "name");
        *uuid = top_level_text(doc, "uuid");
        xmlFreeDoc(doc);
        return 0;
}
