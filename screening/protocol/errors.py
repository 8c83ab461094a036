"""The one error a protocol file can raise, saying which file, line and field is wrong."""

from __future__ import annotations


class ProtocolError(ValueError):
    """A protocol file could not be loaded; the message names the file and each problem found.

    ``problems`` holds one line per problem (``line 7: concepts[2].definition: Field required``) so a
    user interface can list them; the message joins them after the file name.
    """

    def __init__(self, file: str, problems: str | list[str]) -> None:
        self.file = file
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = f"{file}: {self.problems[0]}"
        else:
            listed = "\n".join(f"  {problem}" for problem in self.problems)
            message = f"{file}: {len(self.problems)} problems\n{listed}"
        super().__init__(message)
