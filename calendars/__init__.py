"""iCal feeds (export), the .ics of one booking, and the import of external calendars."""
