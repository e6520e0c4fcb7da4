from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "liuhen.documents"
    label = "documents"
    verbose_name = "执法文书"

    def ready(self) -> None:
        from liuhen.cases import hooks as case_hooks
        from liuhen.cases.requirements import register_provider
        from liuhen.documents import checks  # noqa: F401  (registers the PDF rendering system check)
        from liuhen.documents.delivery import RECORD_FIELDS
        from liuhen.documents.guards import document_requirements
        from liuhen.documents.integrity import version_data_check
        from liuhen.documents.views import case_section, requirement_links
        from liuhen.ledger.records import ImmutableRecord, register

        register_provider("documents", document_requirements)
        # The case page shows the case's documents, and links a missing form to where it is made.
        case_hooks.case_page_sections.register(case_section)
        case_hooks.requirement_links.register(requirement_links)
        # Write-once rows: each is created with its event, whose payload carries these columns.
        register(
            ImmutableRecord(
                model="documents.DocumentVersion",
                action=("document.finalised", "document.paper_attached"),
                object_type="document_version",
                fields=("document_id", "version", "data_sha256", "pdf_sha256"),
                label="文书定稿版本",
                extra_check=version_data_check,
            )
        )
        register(
            ImmutableRecord(
                model="documents.Signature",
                action=("document.signed", "document.signature_refused"),
                object_type="signature",
                fields=(),
                label="签名或拒签记录",
            )
        )
        register(
            ImmutableRecord(
                model="documents.Delivery",
                action="document.delivered",
                object_type="delivery",
                fields=RECORD_FIELDS,
                label="送达记录",
            )
        )
