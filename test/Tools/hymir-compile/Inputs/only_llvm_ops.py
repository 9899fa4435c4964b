"""Prints the ops of a module in the generic form that are neither llvm.* ops
nor the module itself: `non-llvm: []` when it is all LLVM dialect."""
import re
import sys

text = open(sys.argv[1]).read()
names = set(re.findall(r'^\s*(?:%[^=]*=\s*)?"([a-z_]+\.[a-z_.]+)"', text, re.M))
others = sorted(n for n in names if not n.startswith("llvm.") and n != "builtin.module")
print("llvm ops:", len([n for n in names if n.startswith("llvm.")]))
print("non-llvm:", others)
