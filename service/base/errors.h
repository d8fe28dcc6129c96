/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/virterror.h>
#include <systemd/sd-bus.h>

#define VIRTBUS_ERROR_PREFIX "org.libvirt.Error."
/* The libvirt connection behind a Connect object is down or not up yet. */
#define VIRTBUS_ERROR_NO_CONNECT VIRTBUS_ERROR_PREFIX "NoConnect"
/* A caller-supplied XML document is not well-formed. */
#define VIRTBUS_ERROR_XML VIRTBUS_ERROR_PREFIX "XmlError"

/* Registers the name <-> errno map with sd-bus, once at start-up. */
int errors_register(void);

/* The D-Bus error name for a libvirt error code, e.g. VIR_ERR_NO_DOMAIN ->
 * "org.libvirt.Error.NoDomain". Never NULL. */
const char *errors_name_for_code(int code);

/* Fills @error from a libvirt error copied on the worker that saw it.
 * libvirt's own message text is kept unchanged: clients match on it. */
int errors_set_from_virt(sd_bus_error *error, const virError *err);
