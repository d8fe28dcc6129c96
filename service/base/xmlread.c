/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util.h"
#include "xmlread.h"

static xmlDocPtr read_doc(const char *xml) {
        if (!xml || !*xml)
                return NULL;
        return xmlReadMemory(xml, (int) strlen(xml), "libvirt.xml", NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static bool is_element(xmlNodePtr n, const char *name) {
        return n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST name);
}

static char *prop(xmlNodePtr n, const char *name) {
        xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
        char *s = v ? xstrdup((const char *) v) : NULL;

        xmlFree(v);
        return s;
}

static xmlNodePtr child(xmlNodePtr n, const char *name) {
        for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
                if (is_element(c, name))
                        return c;
        return NULL;
}

char *xml_root_child_text(const char *xml, const char *element) {
        xmlDocPtr doc = read_doc(xml);
        xmlNodePtr n = child(doc ? xmlDocGetRootElement(doc) : NULL, element);
        char *s = NULL;

        if (n) {
                xmlChar *c = xmlNodeGetContent(n);
                s = xstrdup(c ? (const char *) c : "");
                xmlFree(c);
        }
        xmlFreeDoc(doc);
        return s;
}

typedef struct DiskList {
        XmlDisk *v;
        size_t n;
} DiskList;

/* A <disk> or <backingStore>: its type attribute and <source>. */
static void add_source(DiskList *l, xmlNodePtr n, const char *device, const char *target, bool backing) {
        xmlNodePtr src = child(n, "source");
        XmlDisk *d;

        l->v = xrealloc(l->v, sizeof(XmlDisk) * (l->n + 1));
        d = &l->v[l->n++];
        memset(d, 0, sizeof(*d));
        d->device = xstrdup(device ? device : "disk");
        d->type = prop(n, "type");
        if (!d->type)
                d->type = xstrdup("file");
        d->target = target ? xstrdup(target) : NULL;
        d->backing = backing;
        if (src) {
                d->path = prop(src, "file");
                if (!d->path)
                        d->path = prop(src, "dev");
                d->pool = prop(src, "pool");
                d->volume = prop(src, "volume");
        }
}

int xml_domain_disks(const char *xml, bool backing, XmlDisk **ret) {
        xmlDocPtr doc = read_doc(xml);
        xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
        DiskList l = { 0 };

        *ret = NULL;
        if (!root || !is_element(root, "domain")) {
                xmlFreeDoc(doc);
                return -1;
        }
        for (xmlNodePtr d = child(root, "devices") ? child(root, "devices")->children : NULL; d; d = d->next) {
                _cleanup_free_ char *device = NULL, *target = NULL;
                if (!is_element(d, "disk"))
                        continue;
                device = prop(d, "device");
                target = prop(child(d, "target") ? child(d, "target") : d, "dev");
                add_source(&l, d, device, target, false);
                /* The chain as libvirt knows it: nested <backingStore>s. */
                for (xmlNodePtr b = child(d, "backingStore"); backing && b && child(b, "source");
                     b = child(b, "backingStore"))
                        add_source(&l, b, device, target, true);
        }
        xmlFreeDoc(doc);
        *ret = l.v;
        return (int) l.n;
}

void xml_disks_free(XmlDisk *disks, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(disks[i].device);
                free(disks[i].type);
                free(disks[i].target);
                free(disks[i].path);
                free(disks[i].pool);
                free(disks[i].volume);
        }
        free(disks);
}
