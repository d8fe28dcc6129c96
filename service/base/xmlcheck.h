/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Checks that caller-supplied XML is well-formed before libvirt sees it.
 * Returns 0, or sets an error naming the line and column and returns its
 * negative errno. Safe on any thread. */
int xml_check_wellformed(const char *xml, const char *what, sd_bus_error *error);

/* Longest XML document accepted from a caller. */
/* Longer documents could not cross libvirt's RPC anyway (4 MiB strings),
 * and the check runs on the loop thread. */
#define XML_MAX_LEN (4u * 1024u * 1024u)

/* The same for a domain document, in one parse: also returns the text of
 * its top-level <name> and <uuid> (NULL when absent), which polkit's
 * details need before libvirt has seen the document. */
int xml_check_domain(const char *xml, const char *what, sd_bus_error *error, char **name, char **uuid);

/* What polkit's details need from an object's XML before libvirt has seen
 * it: the <name> and <uuid> children of the root element in no namespace
 * (NULL when absent), and the address of a <mac> child (interfaces). A
 * document with more than one <name> or <uuid> is refused: libvirt would
 * read one of them, polkit must not be shown another. */
typedef struct XmlFacts {
        char *name;
        char *uuid;
        char *mac;
} XmlFacts;

int xml_check_object(const char *xml, const char *what, sd_bus_error *error, XmlFacts *out);
void xml_facts_clear(XmlFacts *f);

/* Host paths named in caller XML (a block copy's destination): every
 * attribute called file, dev or dir, in any namespace, of every element
 * called source, at any depth. libvirt reads attributes without regard to
 * their namespace, so none may be left unseen. @fn sees each path in
 * document order and may hand back a replacement (the canonical path) in
 * *@replace; a negative return refuses the document. On success *@ret is
 * the document as libvirt must see it, with the replacements. A document
 * type declaration is refused: its attribute defaults and entities would
 * let libvirt read paths that are not written in the document. */
typedef int (*xml_path_fn)(void *userdata, const char *path, char **replace, sd_bus_error *error);
int xml_rewrite_source_paths(const char *xml, const char *what, xml_path_fn fn, void *userdata, char **ret,
                             sd_bus_error *error);
