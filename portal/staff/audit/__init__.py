"""What the company admin reads back: the audit log and the messages that could not be delivered."""
