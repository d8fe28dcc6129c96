/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kinds-util.h"
int main(int argc, char **argv) { vb_init(&argc, &argv); return vb_run(); }
