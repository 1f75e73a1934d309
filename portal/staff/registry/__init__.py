"""The property registry (房产档案): offices, estates, buildings and units, people, binding requests,
.xlsx import and export, search. Every page reads through the caller's data scope."""
