"""The OpenAPI 3 description served at /api/openapi.json (kept beside the code it describes)."""

from __future__ import annotations

from typing import Any

from web.core import LANGS, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS


def _json_of(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json_of("Error")}


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
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_QUERY_CHARS,
                                # Not only spaces (Python's, which add \x1c-\x1f and \x85 to \s):
                                # that is an empty query.
                                "pattern": r"[^\s\x1c-\x1f\x85]",
                            },
                        },
                        {
                            "name": "lang",
                            "in": "query",
                            "description": "ko also matches documents labelled mixed",
                            "schema": {"type": "string", "enum": list(LANGS), "default": "all"},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PER_PAGE,
                                "default": 10,
                            },
                        },
                        {
                            "name": "fuzzy",
                            "in": "query",
                            "description": "off: search the words exactly as typed (no typo, keyboard or "
                            "initials reading; the did-you-mean is still given)",
                            "schema": {"type": "string", "enum": ["on", "off"], "default": "on"},
                        },
                    ],
                    "responses": {
                        "200": {"description": "Results", "content": _json_of("SearchResults")},
                        "400": _error_response("Bad q, lang, page, per_page or fuzzy"),
                    },
                }
            },
            "/api/docs/{id}": {
                "get": {
                    "summary": "One document's metadata and full text",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "Document id; may contain '/'",
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {"description": "The document", "content": _json_of("Document")},
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
                        "url": {"type": "string", "description": "Document page, matches marked"},
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
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                        "suggestion": {
                            "type": "string",
                            "nullable": True,
                            "description": "Did-you-mean for a misspelt query (Korean or English)",
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
