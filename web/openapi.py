"""The OpenAPI 3 description served at /api/openapi.json (kept beside the code it describes).

Imports ``core``.
"""

from __future__ import annotations

from typing import Any

from web.core import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, SWITCH_VALUES

DOC_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "Document id; may contain '/'",
    "schema": {"type": "string"},
}


def _json_of(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json_of("Error")}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema} | (
        {"description": description} if description else {}
    )


def _filter_parameters() -> list[dict[str, Any]]:
    """The search's parameters but q (which GET requires and the JSON body names too)."""
    page_size = {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10}
    return [
        _query(
            "lang",
            # Any case: the server lowercases it.
            {
                "type": "string",
                "default": "all",
                "pattern": "^(?:[A-Za-z]{2,3}|[Mm][Ii][Xx][Ee][Dd]|[Aa][Ll][Ll])$",
            },
            "ko, en (both with mixed), mixed, another ISO 639 code, all",
        ),
        _query("type", {"type": "string"}, "File types, comma-separated (pdf,hwp)"),
        _query("path", {"type": "string"}, "Only files under this folder, relative to its indexed folder"),
        _query("modified_after", {"type": "string", "format": "date"}, "From this day (UTC)"),
        _query("modified_before", {"type": "string", "format": "date"}, "Before this day (UTC)"),
        _query("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}),
        _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
        _query("per_page", page_size),
        _query(
            # Always within the page cap, whatever size is; deeper offsets work while from / size < 100.
            "from",
            {"type": "integer", "minimum": 0, "maximum": MAX_PAGE - 1},
            "Offset of the first hit",
        ),
        _query("size", page_size, "per_page, as Elasticsearch names it"),
        _query(
            "bridge",
            {"type": "string", "enum": list(SWITCH_VALUES), "default": "on"},
            "off: search the words as typed, without their translations",
        ),
        _query(
            "fuzzy",
            {"type": "string", "enum": list(SWITCH_VALUES), "default": "on"},
            "off: the words exactly as typed (no typo, keyboard or initials reading)",
        ),
    ]


# What q may be, in GET and POST alike: not only spaces (Python's, which add \x1c-\x1f and \x85 to
# \s): that is an empty query.
QUERY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_QUERY_CHARS,
    "pattern": r"[^\s\x1c-\x1f\x85]",
}


def openapi_spec() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "dari",
            "version": "1",
            "description": "Bilingual Korean-English document search.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked search with highlighted passages",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": 'Words, "phrases", AND/OR/NOT, title:, lang:',
                            "schema": QUERY_SCHEMA,
                        },
                        *_filter_parameters(),
                    ],
                    "responses": {
                        "200": {"description": "Results", "content": _json_of("SearchResults")},
                        "400": _error_response("A bad or unknown parameter (the message names it)"),
                    },
                },
                "post": {
                    "summary": "The same search, its fields as a JSON object",
                    "requestBody": {"required": True, "content": _json_of("SearchRequest")},
                    "responses": {
                        "200": {"description": "Results", "content": _json_of("SearchResults")},
                        "400": _error_response("A bad or unknown field (the message names it)"),
                    },
                },
            },
            "/api/docs/{id}": {
                "get": {
                    "summary": "One document's metadata and full text",
                    "parameters": [DOC_ID],
                    "responses": {
                        "200": {"description": "The document", "content": _json_of("Document")},
                        "404": _error_response("No document with that id"),
                    },
                }
            },
            "/api/docs/{id}/related": {
                "get": {
                    "summary": "The other language's best documents for this one (through the bridge)",
                    "parameters": [DOC_ID],
                    "responses": {
                        "200": {"description": "Related documents", "content": _json_of("Related")},
                        "404": _error_response("No document with that id"),
                    },
                }
            },
            "/api/health": {
                "get": {
                    "summary": "Index status",
                    "responses": {
                        "200": {"description": "Serving", "content": _json_of("Health")},
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3 document"}},
                }
            },
        },
        "components": {
            "schemas": {
                "Hit": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "lang": {"type": "string", "description": "ko, en, mixed or another code"},
                        "score": {"type": "number"},
                        "snippet": {
                            "type": "string",
                            "description": "Escaped HTML; only <mark> is markup",
                        },
                        "page": {
                            "type": "integer",
                            "nullable": True,
                            "description": "Page (slide, sheet) of the best passage; null: flowing text",
                        },
                        "url": {"type": "string", "description": "Document page, matches marked"},
                        "path": {"type": "string", "description": "Relative to its indexed folder"},
                        "type": {"type": "string", "description": "txt, md, html, jsonl, pdf, hwp, …"},
                        "modified": {"type": "string", "format": "date-time"},
                    },
                },
                "SearchRequest": {
                    "type": "object",
                    "required": ["q"],
                    "additionalProperties": False,
                    "properties": {
                        parameter["name"]: parameter["schema"]
                        for parameter in _filter_parameters()
                        if parameter["name"] != "type"
                    }
                    | {
                        "q": QUERY_SCHEMA,
                        "type": {"type": "string", "description": "Comma-separated file types"},
                    },
                },
                "SearchResults": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string"},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "took_ms": {"type": "number"},
                        "hits": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Hit"},
                            "description": "One per matching document; the results page folds the parts "
                            "of one source (same title and folder) under the first, the API does not",
                        },
                        "suggestion": {
                            "type": "string",
                            "nullable": True,
                            "description": "Did-you-mean for a misspelt query",
                        },
                        "sort": {"type": "string", "enum": list(SORTS)},
                        "facets": {
                            "type": "object",
                            "description": "Counts over every match by lang, type, folder, year",
                            "additionalProperties": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            },
                        },
                        "bridged": {
                            "type": "object",
                            "description": "Per query word, the translations also searched",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                        "corrected": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "Each typed word that found nothing and what it was searched as",
                        },
                        "typed_in": {
                            "type": "string",
                            "nullable": True,
                            "enum": ["english-mode", "korean-mode", None],
                            "description": "A word was read as typed with the keyboard in the other mode",
                        },
                        "read_as": {"type": "string", "description": "The query as searched"},
                    },
                },
                "Related": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "related": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    },
                },
                "Document": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "lang": {"type": "string"},
                        "path": {"type": "string", "description": "The file it was read from"},
                        "size": {"type": "integer", "description": "File size in bytes"},
                        "modified": {"type": "string", "format": "date-time"},
                        "hash": {"type": "string"},
                        "text": {"type": "string"},
                    },
                },
                "Health": {
                    "type": "object",
                    "additionalProperties": False,  # nothing more, such as where the index lives
                    "properties": {
                        "status": {"type": "string"},
                        "documents": {"type": "integer"},
                        "last_commit": {"type": "string", "format": "date-time"},
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
            }
        },
    }
