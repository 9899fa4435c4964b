#!/usr/bin/env python3
"""Prints `PASSED FAILED` counted from lit's --xunit-xml-output file (the
GoogleTest cases run inside lit, so they are counted one by one). An unreadable
file counts as one failure."""
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1)
    sys.exit()
passed = failed = 0
for case in root.iter("testcase"):
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    elif case.find("skipped") is None:
        passed += 1
print(passed, failed)
