"""Print how many tests ran per database (and how many were browser tests) from the
JUnit XML files of the CI runs, then one closing line 'N passed, N failed'."""
import sys
import xml.etree.ElementTree as ET

total_passed = total_failed = 0
for label, path in zip(sys.argv[1::2], sys.argv[2::2]):
    try:
        cases = ET.parse(path).getroot().iter("testcase")
    except (OSError, ET.ParseError):
        print(f"{label}: no results ({path} missing)")
        total_failed += 1
        continue
    passed = failed = skipped = browser = 0
    for case in cases:
        outcome = {child.tag for child in case}
        if outcome & {"failure", "error"}:
            failed += 1
        elif "skipped" in outcome:
            skipped += 1
        else:
            passed += 1
            browser += case.get("classname", "").startswith("tests.browser")
    print(f"{label}: {passed} passed, {failed} failed, {skipped} skipped "
          f"({browser} browser tests passed)")
    total_passed += passed
    total_failed += failed
print(f"{total_passed} passed, {total_failed} failed")
