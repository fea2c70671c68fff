"""Pure parsers of the sources' formats: text in, typed values out, no I/O (tested on the real samples)."""
