/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sd-bus vtables and introspection, built from the method table. */

#include <stdio.h>
#include <systemd/sd-bus.h>

#include "methods.h"

/* The vtable of @iface; every method goes to @handler, every property is
 * read from an Obj's facts. Built once, kept for the process's life. */
const sd_bus_vtable *bus_vtable_for(const Interface *iface, sd_bus_message_handler_t handler);
/* After the bus is gone: the vtables bus_vtable_for() made. */
void bus_vtables_free(void);

/* Introspection XML of an object with @iface (NULL: none) and @children
 * (NULL-terminated node names, or NULL). */
char *bus_introspect(const Interface *iface, char *const *children);
