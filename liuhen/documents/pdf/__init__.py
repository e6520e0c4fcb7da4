"""Document PDFs: the form layout (render, clause doc-standard-templates) and the agency seal (seal, clause
doc-electronic-signature). No ORM here; the documents services call these."""
