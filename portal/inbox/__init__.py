"""The assistants' inbox: requests to the practice, answered within one working day."""
