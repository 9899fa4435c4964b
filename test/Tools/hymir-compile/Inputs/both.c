/* Includes two generated headers (header.mlir). */
#include "gdn.h"
#include "twice.h"
