"""What analysts receive: the export record and writers (`export`), feed health (`health`);
next, the digest, search and the Atom feed."""
