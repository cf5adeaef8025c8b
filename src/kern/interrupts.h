// The guest kernel's interrupt core, everything a driver or the boot code uses.
// See docs/kernel-interrupts.md for the API tour, the locking order and the routing
// policy.
#pragma once

#include "kern/connect.h"
#include "kern/debug_dump.h"
#include "kern/dispatcher.h"
#include "kern/interrupt_core.h"
#include "kern/routing.h"
#include "kern/status.h"
#include "kern/system_vectors.h"
