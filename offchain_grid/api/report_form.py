"""A worker's report as it arrives: multipart/form-data with one small JSON part and the result
archives as file parts, each streamed to a temporary file of the blob store while it arrives.

No archive is ever held in memory, so the scheduler's memory does not grow with the result size
limit or with the number of workers reporting at once: a report in flight costs the parser's
buffers and its JSON part (at most MAX_REPORT_JSON bytes), whatever it carries.
"""

from __future__ import annotations

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ..errors import GridError, InvalidInput, TooLarge
from ..storage import BlobStore, Staged

REPORT_PART = "report"  # the JSON part: {"results": [...], "failures": [...]}
MAX_REPORT_JSON = 4 * 1024 * 1024  # a thousand results and failures with their reasons fit
MAX_PARTS = 1001  # the JSON part and up to a thousand archives
MAX_HEADER_BYTES = 1024  # of one part's header lines

# The request body, as the OpenAPI description gives it (FastAPI cannot infer a streamed body).
OPENAPI_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [REPORT_PART],
    "properties": {REPORT_PART: {"type": "string", "contentMediaType": "application/json",
                                 "description": "the ReportBatch as JSON; each result's `archive` names a file part"}},
    "additionalProperties": {"type": "string", "format": "binary",
                             "description": "a result archive (uncompressed tar), under the name its result gives"},
}}}}}


# Small archives (a few KB each) stay in memory, up to this much per report: a file per archive
# cost more than the rest of the report. The total stays bounded per request.
KEEP_IN_MEMORY = 64 * 1024
MEMORY_PER_REPORT = 1024 * 1024


class MalformedForm(GridError):
    status_code = 400


class ReportForm:
    """Reads one report; `archives` maps part names to staged files until `discard()` removes what is left."""

    def __init__(self, store: BlobStore, max_archive_bytes: int):
        self.store, self.max_archive_bytes = store, max_archive_bytes
        self.archives: dict[str, Staged] = {}
        self._json = bytearray()
        self._parts = 0
        self._header_name = self._header_value = b""
        self._disposition = b""
        self._header_bytes = 0
        self._current: Staged | bytearray | None = None
        self._has_report = False
        self._memory_left = MEMORY_PER_REPORT  # archives kept in memory, in all

    async def read(self, request: Request) -> bytes:
        """The JSON part's bytes, once every part is on disk."""
        _, options = parse_options_header(request.headers.get("content-type", ""))
        if b"boundary" not in options or not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise MalformedForm("a report is multipart/form-data: a 'report' JSON part and the archives as files")
        parser = MultipartParser(options[b"boundary"], {
            "on_part_begin": self._begin, "on_header_field": self._field, "on_header_value": self._value,
            "on_header_end": self._header_end, "on_headers_finished": self._headers_done,
            "on_part_data": self._data, "on_part_end": self._end})
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            raise MalformedForm(f"the report's multipart body cannot be parsed: {exc}") from None
        if not self._has_report:
            raise InvalidInput(f"the report has no {REPORT_PART!r} part")
        return bytes(self._json)

    def discard(self) -> None:
        """Remove the staged archives that the collector did not keep."""
        for staged in self.archives.values():
            staged.discard()
        if isinstance(self._current, Staged):
            self._current.discard()

    # python-multipart callbacks, in the order it calls them for each part
    def _begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise InvalidInput(f"a report holds at most {MAX_PARTS - 1} archives")
        self._disposition, self._header_bytes = b"", 0

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        self._count_header(end - start)

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._count_header(end - start)

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise InvalidInput("a report part's headers are too long")

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise InvalidInput("a report part has no name")
        if b"filename" in options:
            if name in self.archives or name == REPORT_PART:
                raise InvalidInput(f"the report holds two parts named {name[:80]!r}")
            self._current = self.archives[name] = self.store.stage(self.max_archive_bytes,
                                                                   min(KEEP_IN_MEMORY, self._memory_left))
        elif name == REPORT_PART and not self._has_report:
            self._has_report = True
            self._current = self._json
        else:
            raise InvalidInput(f"unexpected report field {name[:80]!r}: only {REPORT_PART!r} and archive files")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if isinstance(self._current, Staged):
            self._current.write(data[start:end])
            return
        self._json += data[start:end]
        if len(self._json) > MAX_REPORT_JSON:
            raise TooLarge(f"the report's JSON part exceeds {MAX_REPORT_JSON} bytes")

    def _end(self) -> None:
        if isinstance(self._current, Staged):
            self._current.close()
            self._memory_left -= self._current.in_memory
        self._current = None
