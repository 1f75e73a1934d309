"""Arrears and dunning (欠费催缴): the work list, one unit's contacts, the demand letter."""
