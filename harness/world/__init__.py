"""The world the suites act on: the implementation's processes (through the adapter), the
fixtures of bad input the error catalogs name, and the test fabric built in NetBox."""
