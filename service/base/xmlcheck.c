/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdbool.h>
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
                if (error && error->message) {
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

/* The text of the only <@element> child of the root element in no
 * namespace, as libvirt reads it: elements of other namespaces are someone
 * else's. Returns 0 with NULL when there is none, -EEXIST when there are
 * several. */
static int root_child_text(xmlDocPtr doc, const char *element, char **ret) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        char *found = NULL;

        for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next) {
                if (n->type != XML_ELEMENT_NODE || n->ns || !xmlStrEqual(n->name, BAD_CAST element))
                        continue;
                if (found) {
                        free(found);
                        return -EEXIST;
                }
                xmlChar *c = xmlNodeGetContent(n);
                found = strdup(c ? (const char *) c : "");
                xmlFree(c);
                if (!found)
                        return -ENOMEM;
        }
        *ret = found;
        return 0;
}

/* The value of attribute @attr of the first <@element> child of the root
 * element in no namespace (e.g. an interface's <mac address=.../>). */
static char *root_child_attr(xmlDocPtr doc, const char *element, const char *attr) {
        xmlNodePtr root = xmlDocGetRootElement(doc);

        for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next)
                if (n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST element)) {
                        xmlChar *v = xmlGetNoNsProp(n, BAD_CAST attr);
                        char *s = v ? strdup((const char *) v) : NULL;
                        xmlFree(v);
                        return s;
                }
        return NULL;
}

void xml_facts_clear(XmlFacts *f) {
        free(f->name);
        free(f->uuid);
        free(f->mac);
        f->name = f->uuid = f->mac = NULL;
}

int xml_check_object(const char *xml, const char *what, sd_bus_error *error, XmlFacts *out) {
        xmlDocPtr doc = NULL;
        int r = parse(xml, what, error, &doc);

        memset(out, 0, sizeof(*out));
        if (r < 0)
                return r;
        r = root_child_text(doc, "name", &out->name);
        if (r >= 0)
                r = root_child_text(doc, "uuid", &out->uuid);
        if (r == -EEXIST)
                r = sd_bus_error_setf(error, VIRTBUS_ERROR_XML,
                                      "%s: more than one <name> or <uuid> element", what);
        if (r >= 0 && !out->name) {
                /* Host interfaces carry their name as an attribute. */
                xmlNodePtr root = xmlDocGetRootElement(doc);
                xmlChar *v = root ? xmlGetNoNsProp(root, BAD_CAST "name") : NULL;
                out->name = v ? strdup((const char *) v) : NULL;
                xmlFree(v);
        }
        if (r >= 0)
                out->mac = root_child_attr(doc, "mac", "address");
        xmlFreeDoc(doc);
        if (r < 0)
                xml_facts_clear(out);
        return r;
}

int xml_check_domain(const char *xml, const char *what, sd_bus_error *error, char **name, char **uuid) {
        XmlFacts f;
        int r = xml_check_object(xml, what, error, &f);

        if (r < 0)
                return r;
        *name = f.name;
        *uuid = f.uuid;
        free(f.mac);
        return 0;
}

static bool is_path_attr(xmlAttrPtr a) {
        return xmlStrEqual(a->name, BAD_CAST "file") || xmlStrEqual(a->name, BAD_CAST "dev") ||
                xmlStrEqual(a->name, BAD_CAST "dir");
}

static int rewrite_node(xmlNodePtr n, xml_path_fn fn, void *userdata, sd_bus_error *error) {
        for (; n; n = n->next) {
                int r;

                if (n->type != XML_ELEMENT_NODE)
                        continue;
                /* Disk and device sources, and a snapshot's memory image. */
                bool source = xmlStrEqual(n->name, BAD_CAST "source");
                bool memory = xmlStrEqual(n->name, BAD_CAST "memory");
                if (source || memory)
                        for (xmlAttrPtr a = n->properties; a; a = a->next) {
                                xmlChar *v;
                                char *replace = NULL;

                                if (source ? !is_path_attr(a) : !xmlStrEqual(a->name, BAD_CAST "file"))
                                        continue;
                                v = xmlNodeGetContent((xmlNodePtr) a);
                                r = fn(userdata, v ? (const char *) v : "", &replace, error);
                                xmlFree(v);
                                if (r < 0)
                                        return r;
                                if (replace) {
                                        /* xmlSetNsProp() replaces the value of this very
                                         * attribute, namespace included. */
                                        xmlAttrPtr set = xmlSetNsProp(n, a->ns, a->name, BAD_CAST replace);
                                        free(replace);
                                        if (!set)
                                                return -ENOMEM;
                                }
                        }
                r = rewrite_node(n->children, fn, userdata, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int xml_rewrite_source_paths(const char *xml, const char *what, xml_path_fn fn, void *userdata, char **ret,
                             sd_bus_error *error) {
        xmlDocPtr doc = NULL;
        xmlChar *out = NULL;
        int len = 0, r;

        r = parse(xml, what, error, &doc);
        if (r < 0)
                return r;
        if (doc->intSubset || doc->extSubset) {
                xmlFreeDoc(doc);
                return sd_bus_error_setf(error, VIRTBUS_ERROR_XML,
                                         "%s: a document type declaration is not accepted here", what);
        }
        r = rewrite_node(xmlDocGetRootElement(doc), fn, userdata, error);
        if (r >= 0) {
                /* Written out without an XML declaration, as callers write it. */
                xmlBufferPtr buf = xmlBufferCreate();
                if (!buf || xmlNodeDump(buf, doc, xmlDocGetRootElement(doc), 0, 0) < 0)
                        r = -ENOMEM;
                else {
                        len = xmlBufferLength(buf);
                        out = xmlStrndup(xmlBufferContent(buf), len);
                        r = out ? 0 : -ENOMEM;
                }
                xmlBufferFree(buf);
        }
        xmlFreeDoc(doc);
        if (r < 0)
                return r;
        *ret = strdup((const char *) out);
        xmlFree(out);
        return *ret ? 0 : -ENOMEM;
}
