"""Meters and meter readings (抄表): meters, the reading grid and review queue, the .xlsx import."""
