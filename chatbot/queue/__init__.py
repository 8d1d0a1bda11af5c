"""Scale-out mode: jobs through a Redis queue (saq), replies from workers through an outbox."""
