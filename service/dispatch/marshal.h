/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Values on and off the bus, by signature. An a{sv} is a set of libvirt
 * typed parameters: read with its values wrapped once (the D-Bus way) or
 * twice (the way libvirt-dbus sends them), written wrapped twice as
 * libvirt-dbus does. An ay is a byte blob; an h is duplicated so the call
 * owns its descriptor. */

#include <systemd/sd-bus.h>

#include "value.h"

/* Reads one complete type @sig into @out. Wrong types and malformed
 * values give InvalidArgs with a clear text. */
int marshal_read(sd_bus_message *m, const char *sig, Value *out, sd_bus_error *error);
/* Reads every argument of @sig (at most @max) into @out; *@n says how many. */
int marshal_read_all(sd_bus_message *m, const char *sig, Value *out, unsigned max, unsigned *n,
                     sd_bus_error *error);
/* Writes @v as one complete type @sig. */
int marshal_write(sd_bus_message *m, const char *sig, const Value *v);
/* Writes @n values for @sig, one complete type each. */
int marshal_write_all(sd_bus_message *m, const char *sig, const Value *v, unsigned n);
/* Writes @v inside a variant of @sig, wrapped @wraps (1 or 2) times. */
int marshal_write_variant(sd_bus_message *m, const char *sig, const Value *v, int wraps);
