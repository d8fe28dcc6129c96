/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Facts read from the XML libvirt writes (domain and snapshot
 * descriptions): what the daemon must know that no API call says. Safe on
 * any thread. */

#include <stdbool.h>
#include <stddef.h>

/* The text of the root element's <@element> child in no namespace, or
 * NULL (none, or not XML). */
char *xml_root_child_text(const char *xml, const char *element);

/* One <disk> of a domain, as its XML names its source. */
typedef struct XmlDisk {
        char *device;           /* "disk", "cdrom", "floppy", "lun" */
        char *type;             /* "file", "block", "volume", "network", "dir" */
        char *target;           /* <target dev=...>, e.g. "vda" */
        char *path;             /* <source file=...> or <source dev=...>, or NULL */
        char *pool, *volume;    /* <source pool=... volume=...>, or NULL */
        bool backing;           /* from a <backingStore>, not the disk itself */
} XmlDisk;

/* The disks of domain @xml, each with its source; with @backing also every
 * image of their backing chains that the XML names. Returns the count, or
 * -1 when @xml is not a domain document. */
int xml_domain_disks(const char *xml, bool backing, XmlDisk **ret);
void xml_disks_free(XmlDisk *disks, size_t n);
