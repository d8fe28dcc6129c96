/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus adapters: every connection's objects on the bus, built from the
 * method table; messages on them handed to the dispatcher; the
 * ObjectManager at /org/libvirt; and the signals, from the spaces'
 * change observer. Loop thread only. */

#include <systemd/sd-bus.h>

#include "conn.h"
#include "dispatch.h"

int bus_register(sd_bus *bus, Manager *manager, Dispatcher *dispatcher);
/* Frees what bus_register() made, once the bus connection is gone. */
void bus_unregister(void);
