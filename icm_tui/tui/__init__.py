"""The Textual front end: one consumer of the services among several."""
