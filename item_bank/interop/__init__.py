"""Item import and export formats (QTI 3.0 and 2.x, Moodle XML, GIFT) as pure functions."""
