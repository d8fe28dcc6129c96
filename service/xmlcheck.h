/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Checks that caller-supplied XML is well-formed before libvirt sees it.
 * Returns 0, or sets an error naming the line and column and returns its
 * negative errno. Safe on any thread. */
int xml_check_wellformed(const char *xml, const char *what, sd_bus_error *error);

/* Longest XML document accepted from a caller. */
#define XML_MAX_LEN (16u * 1024u * 1024u)

/* The text of the top-level <name> element of a domain document, or NULL.
 * Used for polkit details before libvirt has seen the document. */
char *xml_domain_name(const char *xml);
/* The same for the top-level <uuid> element. */
char *xml_domain_uuid(const char *xml);
