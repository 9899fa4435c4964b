# -*- Python -*-
# The GoogleTest binaries (compiler libraries and runtime) as a lit suite, so
# check-hymir reports every test case individually.

import lit.formats

config.name = "HYMIR-Unit"
config.test_source_root = config.hymir_unit_dir
config.test_exec_root = config.hymir_unit_dir
config.test_format = lit.formats.GoogleTest(".", "Tests")
