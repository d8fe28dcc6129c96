/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Test builds only (-Dtest_delay_seam=true): an object that tells the
 * tests what the daemon holds (verdicts, callers, calls, descriptors,
 * queued questions), so they can prove bounds and clean-up without
 * guessing from timings. It is not compiled into a normal build: there
 * test_seam_register() does nothing. */

#include <systemd/sd-bus.h>

#include "authority.h"
#include "dispatch.h"

#define TEST_SEAM_PATH "/org/virtbus/Test"
#define TEST_SEAM_INTERFACE "org.virtbus.Test"

int test_seam_register(sd_bus *bus, Authority *auth, Dispatcher *dispatcher);

/* A number from the environment of a test build, or @def. */
unsigned test_seam_number(const char *name, unsigned def);
