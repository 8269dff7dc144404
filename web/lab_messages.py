"""The coding lab's error explanations in words: French and English, for young learners.

``coding_lab.explain`` reads a compiler's or a crashed program's output into stable codes
with parameters (the undefined name, the types…); each code has four texts here — a
title, what the error means, its likely cause and a hint — as ``lazy_gettext`` strings
whose ``%(name)s`` are filled from the explanation's parameters. When the compiler or
Python suggests a name ("did you mean…"), the code's ``suggestion`` text replaces the hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, lazy_gettext

from coding_lab.explain import Explanation


@dataclass(frozen=True)
class LabText:
    """The four texts of one code, and the hint used when a name is suggested."""

    title: Any
    meaning: Any
    cause: Any
    hint: Any
    suggestion: Any = None


class _Params(dict[str, str]):
    """Parameters for ``%`` formatting: one that is missing shows as an ellipsis."""

    def __missing__(self, key: str) -> str:
        return "…"


def _fill(template: Any, params: Mapping[str, str]) -> str:
    text = str(template)
    if "%(" not in text:
        return text
    try:
        return text % _Params(params)
    except (TypeError, ValueError):
        return text


LAB_TEXTS: dict[str, LabText] = {
    "unknown": LabText(
        lazy_gettext("Your program stopped with an error"),
        lazy_gettext("Ardoise does not recognise this message yet."),
        lazy_gettext("The raw message says what went wrong, often with a line number."),
        lazy_gettext("Read the last lines of the message first: that is usually where the "
                     "important part is.")),
    "exception": LabText(
        lazy_gettext("%(exception)s: the program stopped"),
        lazy_gettext("While running, your program hit an error named %(exception)s."),
        lazy_gettext("An instruction could not be done with the values it received."),
        lazy_gettext("Look at the line shown and check the values used there, for example by "
                     "printing them just before.")),
    "compile_error": LabText(
        lazy_gettext("The compiler found a mistake"),
        lazy_gettext("Before running your program, the compiler checks it. It says: "
                     "“%(message)s”."),
        lazy_gettext("Something in the code is not written the way the language expects."),
        lazy_gettext("Look at the line shown and the line just before it: a forgotten symbol "
                     "is often the reason.")),
    "run.time_limit": LabText(
        lazy_gettext("Your program took too long"),
        lazy_gettext("It was stopped because it was still running when the time allowed ran out."),
        lazy_gettext("Often a loop that never ends (its condition stays true), or the program "
                     "is waiting for input that never comes."),
        lazy_gettext("Check that each loop changes something that makes its condition become "
                     "false, and that you read exactly the input given.")),
    "run.memory_limit": LabText(
        lazy_gettext("Your program used too much memory"),
        lazy_gettext("It was stopped because it needed more memory than allowed."),
        lazy_gettext("A list or an array that keeps growing, often inside a loop that never "
                     "ends, or a huge table."),
        lazy_gettext("Check your loops and the size of the lists you build.")),
    "run.output_limit": LabText(
        lazy_gettext("Your program printed too much"),
        lazy_gettext("It was stopped because it wrote more text than allowed."),
        lazy_gettext("Usually a print inside a loop that never ends."),
        lazy_gettext("Check the loop that contains your print, and print only what the "
                     "exercise asks for.")),
    "run.segmentation_fault": LabText(
        lazy_gettext("Segmentation fault: forbidden memory access"),
        lazy_gettext("Your program tried to read or write memory that does not belong to it, "
                     "so the system stopped it."),
        lazy_gettext("An array index outside the array, a pointer that is NULL or not "
                     "initialised, or a recursion that never stops."),
        lazy_gettext("Check the indexes of your arrays (from 0 to size − 1) and that every "
                     "pointer points somewhere before you use it.")),
    "run.arithmetic_signal": LabText(
        lazy_gettext("Arithmetic error (division by zero)"),
        lazy_gettext("Your program did a calculation the processor cannot do, so the system "
                     "stopped it."),
        lazy_gettext("Most often an integer division or a remainder (modulo) by zero."),
        lazy_gettext("Before dividing, check that the divisor is not 0.")),
    "run.aborted": LabText(
        lazy_gettext("The program stopped itself (abort)"),
        lazy_gettext("Your program or a library it uses called abort(), often because a check "
                     "failed."),
        lazy_gettext("A failed assert, memory freed twice, or an exception that was not caught "
                     "in C++."),
        lazy_gettext("Read the message printed just before the stop: it often names the check "
                     "that failed.")),
    "run.signal": LabText(
        lazy_gettext("The program was stopped by the system (signal %(signal)s)"),
        lazy_gettext("The operating system ended your program with signal %(signal)s."),
        lazy_gettext("The program did something forbidden or was stopped from outside."),
        lazy_gettext("Run it again; if it happens each time, look at the last instructions it "
                     "runs.")),
    "run.sandbox_error": LabText(
        lazy_gettext("Ardoise could not run your program"),
        lazy_gettext("The problem is on our side, not in your code."),
        lazy_gettext("The system that runs programs failed or is not available right now."),
        lazy_gettext("Try again in a moment. If it continues, tell your teacher.")),
    "python.missing_colon": LabText(
        lazy_gettext("Missing colon ( : )"),
        lazy_gettext("Python expected a colon at the end of this line."),
        lazy_gettext("Lines that start a block (if, elif, else, for, while, def, class) must "
                     "end with a colon."),
        lazy_gettext("Add : at the end of the line, then indent the lines of the block.")),
    "python.unclosed_bracket": LabText(
        lazy_gettext("“%(bracket)s” is never closed"),
        lazy_gettext("A “%(bracket)s” opened here has no matching closing bracket."),
        lazy_gettext("A closing bracket was forgotten, often at the end of a line with several "
                     "brackets."),
        lazy_gettext("Count the opening and closing brackets on this line: there must be as "
                     "many of each.")),
    "python.unmatched_bracket": LabText(
        lazy_gettext("“%(bracket)s” closes nothing"),
        lazy_gettext("This “%(bracket)s” has no opening bracket to match."),
        lazy_gettext("There is one closing bracket too many, or the opening one was deleted."),
        lazy_gettext("Remove the extra bracket or add the missing opening one.")),
    "python.mismatched_bracket": LabText(
        lazy_gettext("“%(closing)s” does not match “%(opening)s”"),
        lazy_gettext("A “%(opening)s” was opened but closed with “%(closing)s”."),
        lazy_gettext("( goes with ), [ with ] and { with }."),
        lazy_gettext("Use the closing bracket that matches the opening one.")),
    "python.unterminated_string": LabText(
        lazy_gettext("Text (string) not closed"),
        lazy_gettext("A text between quotes starts on this line but never ends."),
        lazy_gettext("The closing quote is missing, or it is not the same kind as the opening "
                     "one (' and \")."),
        lazy_gettext("Close the text with the same quote you opened it with.")),
    "python.assign_in_condition": LabText(
        lazy_gettext("= used where == was expected"),
        lazy_gettext("One = puts a value into a variable; it cannot be used to compare."),
        lazy_gettext("In a condition (if, while), comparing two values needs ==."),
        lazy_gettext("To compare, write ==. If you really wanted to store a value, check the "
                     "line before: a bracket may be missing.")),
    "python.print_parentheses": LabText(
        lazy_gettext("print needs parentheses"),
        lazy_gettext("In Python 3, print is a function: what to print goes between parentheses."),
        lazy_gettext("This is how print was written in the old Python 2."),
        lazy_gettext("Write print(...) with what to print inside the parentheses.")),
    "python.syntax_error": LabText(
        lazy_gettext("Syntax error"),
        lazy_gettext("Python cannot understand how this line is written (“%(message)s”)."),
        lazy_gettext("A missing or extra symbol: a bracket, a quote, a comma, a colon, an "
                     "operator."),
        lazy_gettext("Look closely at the place shown, and at the end of the line before.")),
    "python.unexpected_indent": LabText(
        lazy_gettext("Unexpected indentation"),
        lazy_gettext("This line starts further right than Python expected."),
        lazy_gettext("In Python, spaces at the start of a line matter: only the lines inside a "
                     "block (after a line ending with :) are indented."),
        lazy_gettext("Line this line up with the one before, unless it belongs to a block.")),
    "python.expected_indent": LabText(
        lazy_gettext("An indented block was expected"),
        lazy_gettext("After the “%(statement)s” line (line %(after_line)s), Python expected "
                     "indented lines."),
        lazy_gettext("The lines that belong to an if, for, while, def… must be moved to the "
                     "right (usually 4 spaces)."),
        lazy_gettext("Add 4 spaces at the start of the lines that belong to the block.")),
    "python.unindent_mismatch": LabText(
        lazy_gettext("Indentation does not line up"),
        lazy_gettext("This line is shifted back, but not to the level of any line above."),
        lazy_gettext("The number of spaces does not match the block it should belong to."),
        lazy_gettext("Line it up exactly with the lines of the block it belongs to.")),
    "python.tab_error": LabText(
        lazy_gettext("Tabs and spaces mixed"),
        lazy_gettext("This block is indented partly with tabs and partly with spaces."),
        lazy_gettext("They look the same on screen, but Python counts them differently."),
        lazy_gettext("Indent with spaces only (4 per level).")),
    "python.indentation_error": LabText(
        lazy_gettext("Indentation error"),
        lazy_gettext("Python does not understand the spaces at the start of this line "
                     "(“%(message)s”)."),
        lazy_gettext("In Python, the spaces at the start of a line say which block it belongs "
                     "to."),
        lazy_gettext("Check that the lines of each block are lined up with the same number of "
                     "spaces.")),
    "python.name_error": LabText(
        lazy_gettext("“%(name)s” is not defined"),
        lazy_gettext("Python does not know any variable or function called “%(name)s”."),
        lazy_gettext("A typo in the name, a variable used before it gets a value, or a text "
                     "without quotes."),
        lazy_gettext("Check the spelling (capitals count) and that the variable is given a "
                     "value above this line."),
        suggestion=lazy_gettext("Did you mean “%(suggestion)s”? Python found a name that looks "
                                "like it.")),
    "python.unbound_local": LabText(
        lazy_gettext("“%(name)s” used before it has a value"),
        lazy_gettext("Inside this function, “%(name)s” is used before it is given a value."),
        lazy_gettext("The function changes “%(name)s” (for example with +=), so Python treats "
                     "it as a new variable of the function, which is still empty."),
        lazy_gettext("Pass the value as a parameter and return the new value, or give the "
                     "variable a value at the start of the function.")),
    "python.unsupported_operand": LabText(
        lazy_gettext("%(operator)s cannot combine %(left)s and %(right)s"),
        lazy_gettext("The operation %(operator)s does not work between a value of type "
                     "%(left)s and a value of type %(right)s."),
        lazy_gettext("Often a number read with input() is still text (str), or a variable is "
                     "None because a function returned nothing."),
        lazy_gettext("Convert the values first, for example with int(...) or float(...), and "
                     "check that your functions use return.")),
    "python.concatenate": LabText(
        lazy_gettext("Cannot join %(left)s and %(right)s with +"),
        lazy_gettext("+ can join a %(left)s only to another %(left)s, not to a %(right)s."),
        lazy_gettext("For example, adding a number to a text: \"age: \" + 12."),
        lazy_gettext("Convert the number with str(...), or use print(\"age:\", age) or an "
                     "f-string: f\"age: {age}\".")),
    "python.not_callable": LabText(
        lazy_gettext("A %(type)s cannot be called"),
        lazy_gettext("Parentheses after a value mean “call this function”, but this value is a "
                     "%(type)s, not a function."),
        lazy_gettext("A missing operator, as in 2(3 + 4) instead of 2 * (3 + 4), or a variable "
                     "with the same name as a function."),
        lazy_gettext("Add the missing * or rename the variable that hides the function.")),
    "python.missing_argument": LabText(
        lazy_gettext("%(function)s() is missing arguments"),
        lazy_gettext("The function %(function)s was called without a value for: %(names)s."),
        lazy_gettext("The call gives fewer values than the function has parameters."),
        lazy_gettext("Give one value for each parameter, in order, between the parentheses of "
                     "the call.")),
    "python.too_many_arguments": LabText(
        lazy_gettext("Too many arguments for %(function)s()"),
        lazy_gettext("%(function)s takes %(expected)s argument(s) but received %(given)s."),
        lazy_gettext("The call gives more values than the function has parameters."),
        lazy_gettext("Compare the call with the def line of the function.")),
    "python.not_subscriptable": LabText(
        lazy_gettext("A %(type)s has no elements to take with [ ]"),
        lazy_gettext("Square brackets [ ] take an element of a list, a text or a dictionary, "
                     "but this value is a %(type)s."),
        lazy_gettext("The variable does not hold what you think, or a function was used "
                     "without calling it (missing parentheses)."),
        lazy_gettext("Print the variable just before this line to see what it holds.")),
    "python.not_integer": LabText(
        lazy_gettext("A %(type)s where a whole number is needed"),
        lazy_gettext("This instruction needs a whole number (int), for example for range(), "
                     "but it got a %(type)s."),
        lazy_gettext("A value read with input() stays text until it is converted, and a "
                     "division with / always gives a float."),
        lazy_gettext("Convert with int(...), or use // for a whole-number division.")),
    "python.index_type": LabText(
        lazy_gettext("Positions in a %(sequence)s are whole numbers"),
        lazy_gettext("The position between [ ] is a %(type)s, but a %(sequence)s needs a whole "
                     "number (int)."),
        lazy_gettext("A position read with input() is still text, or it comes from a division "
                     "with /."),
        lazy_gettext("Convert the position with int(...), or use // to divide.")),
    "python.unorderable": LabText(
        lazy_gettext("%(operator)s cannot compare %(left)s and %(right)s"),
        lazy_gettext("The comparison %(operator)s does not work between a %(left)s and a "
                     "%(right)s."),
        lazy_gettext("Often a number read with input() is still text (str)."),
        lazy_gettext("Convert the text with int(...) or float(...) before comparing.")),
    "python.type_error": LabText(
        lazy_gettext("A value of the wrong type"),
        lazy_gettext("An operation received a value of a type it cannot use: “%(message)s”."),
        lazy_gettext("Text where a number was expected, a list where a single value was "
                     "expected, or the reverse."),
        lazy_gettext("Print the values used on this line with type(...) to see their types.")),
    "python.value_conversion": LabText(
        lazy_gettext("“%(value)s” cannot become a number"),
        lazy_gettext("%(function)s() could not turn the text “%(value)s” into a number."),
        lazy_gettext("The input is not what the program expects: letters, a comma instead of a "
                     "point, extra spaces, or a decimal number given to int()."),
        lazy_gettext("Check what the input really contains, and convert only the part that is "
                     "a number.")),
    "python.value_error": LabText(
        lazy_gettext("A value that does not fit"),
        lazy_gettext("The type is right, but the value is not allowed here: “%(message)s”."),
        lazy_gettext("For example, the square root of a negative number, or a list split into "
                     "the wrong number of variables."),
        lazy_gettext("Print the value just before this line and check it is in the expected "
                     "range.")),
    "python.index_error": LabText(
        lazy_gettext("Index out of range"),
        lazy_gettext("The position asked for does not exist in this list (or text, or tuple)."),
        lazy_gettext("Positions start at 0: a list of 3 elements has positions 0, 1 and 2. "
                     "Often a loop goes one step too far."),
        lazy_gettext("Check the bounds of your loop; range(len(values)) stops at the last "
                     "valid position.")),
    "python.key_error": LabText(
        lazy_gettext("The key “%(key)s” does not exist"),
        lazy_gettext("The dictionary has no entry with the key “%(key)s”."),
        lazy_gettext("A typo in the key, a difference of capitals, or a key that was never "
                     "added."),
        lazy_gettext("Test first with if key in dictionary:, or use dictionary.get(key).")),
    "python.attribute_error": LabText(
        lazy_gettext("A %(type)s has no “%(name)s”"),
        lazy_gettext("You used .%(name)s on a value of type %(type)s, which has no such "
                     "attribute or method."),
        lazy_gettext("A typo in the name, or the variable holds another type than you think "
                     "(often None)."),
        lazy_gettext("Check the spelling and print the type of the variable with type(...)."),
        suggestion=lazy_gettext("Did you mean .%(suggestion)s? Python found a name that looks "
                                "like it.")),
    "python.module_attribute": LabText(
        lazy_gettext("The module %(module)s has no “%(name)s”"),
        lazy_gettext("%(module)s does not contain anything called %(name)s."),
        lazy_gettext("A typo in the name, or the function is in another module. A file of "
                     "yours named like the module (for example math.py) also hides it."),
        lazy_gettext("Check the exact name in the documentation of the module."),
        suggestion=lazy_gettext("Did you mean %(module)s.%(suggestion)s? Python found a name "
                                "that looks like it.")),
    "python.zero_division": LabText(
        lazy_gettext("Division by zero"),
        lazy_gettext("Your program divided by 0, which is impossible (this includes // and the "
                     "remainder)."),
        lazy_gettext("A divisor that is 0, often a counter or a length that stayed at 0, for "
                     "example the average of an empty list."),
        lazy_gettext("Before dividing, check with an if that the divisor is not 0.")),
    "python.recursion_error": LabText(
        lazy_gettext("Too many nested calls (recursion)"),
        lazy_gettext("A function called itself again and again until Python stopped it."),
        lazy_gettext("The stopping case (base case) is missing or never reached."),
        lazy_gettext("Check that the function stops for a simple case and that each call gets "
                     "closer to that case.")),
    "python.eof_error": LabText(
        lazy_gettext("No more input to read"),
        lazy_gettext("input() was called but there was no line left to read."),
        lazy_gettext("The program reads more lines than the input gives, for example an extra "
                     "input() or a loop that reads too many times."),
        lazy_gettext("Count the input() calls and compare with the lines of the example input.")),
    "python.module_not_found": LabText(
        lazy_gettext("Module “%(module)s” not found"),
        lazy_gettext("Python cannot find a module called %(module)s to import."),
        lazy_gettext("A typo in its name, or a module that is not installed here."),
        lazy_gettext("Check the spelling; the exercise may allow only the standard modules of "
                     "Python.")),
    "python.import_name": LabText(
        lazy_gettext("%(name)s cannot be imported from %(module)s"),
        lazy_gettext("The module %(module)s has nothing called %(name)s."),
        lazy_gettext("A typo in the name, or the name belongs to another module."),
        lazy_gettext("Check the exact name in the documentation of %(module)s.")),
    "python.memory_error": LabText(
        lazy_gettext("Out of memory"),
        lazy_gettext("Your program asked for more memory than it is allowed."),
        lazy_gettext("A huge list, or a list that grows inside a loop that never ends."),
        lazy_gettext("Check the size of the lists you build and the end of your loops.")),
    "python.assertion_error": LabText(
        lazy_gettext("A check (assert) failed"),
        lazy_gettext("An assert instruction found that its condition is false."),
        lazy_gettext("The values at this point are not the ones the check expects."),
        lazy_gettext("Print the values used in the assert just before it.")),
    "c.undeclared_identifier": LabText(
        lazy_gettext("“%(name)s” is not declared"),
        lazy_gettext("The compiler does not know any variable or function called %(name)s at "
                     "this point."),
        lazy_gettext("A typo, a variable declared later or inside another block { }, or a "
                     "missing #include."),
        lazy_gettext("Declare the variable (with its type) before using it, and check the "
                     "spelling."),
        suggestion=lazy_gettext("Did you mean “%(suggestion)s”? The compiler found a name that "
                                "looks like it.")),
    "c.missing_std": LabText(
        lazy_gettext("%(name)s needs std::"),
        lazy_gettext("%(name)s belongs to the C++ standard library, whose names start with "
                     "std::."),
        lazy_gettext("std:: was left out, or the #include that declares %(name)s is missing."),
        lazy_gettext("Write std::%(name)s (and add the right #include, for example <iostream> "
                     "for cout).")),
    "c.missing_header": LabText(
        lazy_gettext("The file %(header)s cannot be found"),
        lazy_gettext("The #include asks for %(header)s, which the compiler cannot find."),
        lazy_gettext("A typo in the name, a forgotten .h in C (<stdio.h>), or a C++ header in "
                     "a C program."),
        lazy_gettext("Check the name between < >: for example <stdio.h> and <math.h> in C, "
                     "<iostream> and <vector> in C++.")),
    "c.expected_semicolon": LabText(
        lazy_gettext("Missing semicolon ( ; )"),
        lazy_gettext("The compiler expected a ; before “%(before)s”."),
        lazy_gettext("In C and C++, each instruction ends with a ;. The line shown is often "
                     "the one after the mistake."),
        lazy_gettext("Add ; at the end of the previous instruction (often the line above).")),
    "c.expected": LabText(
        lazy_gettext("“%(expected)s” expected"),
        lazy_gettext("The compiler expected %(expected)s here."),
        lazy_gettext("A symbol is missing, often a closing bracket or a comma."),
        lazy_gettext("Check that each ( has its ), each [ its ] and each { its }.")),
    "c.end_of_input": LabText(
        lazy_gettext("The file ended too soon"),
        lazy_gettext("The compiler reached the end of the file while a block was still open."),
        lazy_gettext("A closing brace } is missing."),
        lazy_gettext("Count the { and }: each function, if, for and while must be closed.")),
    "c.implicit_declaration": LabText(
        lazy_gettext("%(function)s is used before being declared"),
        lazy_gettext("The function %(function)s is called, but the compiler has not seen it "
                     "declared above."),
        lazy_gettext("A missing #include (for example <stdio.h> for printf, <math.h> for "
                     "sqrt), a typo, or a function written below main."),
        lazy_gettext("Add the right #include, or write the function (or its prototype) above "
                     "the place that calls it.")),
    "c.conflicting_types": LabText(
        lazy_gettext("%(name)s is declared twice differently"),
        lazy_gettext("Two declarations of %(name)s do not have the same types."),
        lazy_gettext("The prototype and the function do not match, or a function was used "
                     "before its declaration."),
        lazy_gettext("Make the prototype and the first line of the function identical (return "
                     "type and parameters).")),
    "c.too_few_arguments": LabText(
        lazy_gettext("Too few arguments for %(function)s"),
        lazy_gettext("The call gives fewer values than %(function)s has parameters."),
        lazy_gettext("An argument was forgotten in the call."),
        lazy_gettext("Give one value for each parameter of the function, in order.")),
    "c.too_many_arguments": LabText(
        lazy_gettext("Too many arguments for %(function)s"),
        lazy_gettext("The call gives more values than %(function)s has parameters."),
        lazy_gettext("An extra value in the call, or the function lacks a parameter."),
        lazy_gettext("Compare the call with the first line of the function.")),
    "c.undefined_reference": LabText(
        lazy_gettext("%(name)s is declared but never written"),
        lazy_gettext("Everything compiled, but when putting the program together the function "
                     "%(name)s could not be found."),
        lazy_gettext("A prototype without the body of the function, a typo in the name of the "
                     "function, or a library function misspelled."),
        lazy_gettext("Write the function %(name)s, or check that its name is spelled the same "
                     "everywhere.")),
    "c.no_main": LabText(
        lazy_gettext("No main function"),
        lazy_gettext("Every C or C++ program starts with the function main, and there is none."),
        lazy_gettext("main is missing or misspelled (Main, mian…)."),
        lazy_gettext("Add int main(void) { … return 0; }.")),
    "c.assertion_failed": LabText(
        lazy_gettext("A check (assert) failed"),
        lazy_gettext("The condition %(expression)s was false, so the program stopped."),
        lazy_gettext("The values at this point are not the ones the check expects."),
        lazy_gettext("Print the values used in the condition just before the assert.")),
    "java.cannot_find_symbol": LabText(
        lazy_gettext("“%(name)s” cannot be found"),
        lazy_gettext("Java does not know anything called %(name)s at this point."),
        lazy_gettext("A typo (capitals count), a variable declared in another block { }, or a "
                     "missing import."),
        lazy_gettext("Check the spelling and that %(name)s is declared before this line, in a "
                     "block that contains it.")),
    "java.missing_import": LabText(
        lazy_gettext("%(name)s needs an import"),
        lazy_gettext("%(name)s comes from the package %(package)s, which must be imported."),
        lazy_gettext("The import line at the top of the file is missing."),
        lazy_gettext("Add import %(package)s.%(name)s; at the very top of the file.")),
    "java.missing_semicolon": LabText(
        lazy_gettext("Missing semicolon ( ; )"),
        lazy_gettext("Java expected a ; at this place."),
        lazy_gettext("In Java, each instruction ends with a ;."),
        lazy_gettext("Add ; at the end of the instruction.")),
    "java.expected": LabText(
        lazy_gettext("“%(expected)s” expected"),
        lazy_gettext("Java expected %(expected)s here."),
        lazy_gettext("A symbol is missing, often a closing bracket or a brace."),
        lazy_gettext("Check that each ( has its ), each [ its ] and each { its }.")),
    "java.incompatible_types": LabText(
        lazy_gettext("A %(found)s cannot go into a %(required)s"),
        lazy_gettext("A value of type %(found)s is used where a %(required)s is needed."),
        lazy_gettext("For example, a text between quotes put into an int variable."),
        lazy_gettext("Change the type of the variable, or convert the value (for example "
                     "Integer.parseInt to turn a text into an int).")),
    "java.lossy_conversion": LabText(
        lazy_gettext("A %(found)s does not fit in an %(required)s"),
        lazy_gettext("Putting a %(found)s into a %(required)s could lose part of the value, so "
                     "Java refuses."),
        lazy_gettext("For example, a decimal number (double) put into an int."),
        lazy_gettext("Use a variable of type %(found)s, or convert explicitly: (%(required)s) "
                     "value.")),
    "java.missing_return": LabText(
        lazy_gettext("Missing return"),
        lazy_gettext("This method must return a value, but some paths reach its end without a "
                     "return."),
        lazy_gettext("A return only inside an if: when the condition is false, nothing is "
                     "returned."),
        lazy_gettext("Add a return at the end of the method, for the case where no condition "
                     "is true.")),
    "java.public_class_file": LabText(
        lazy_gettext("The class %(name)s must be in %(file)s"),
        lazy_gettext("In Java, a public class must be in a file with the same name; this one "
                     "is in %(current)s."),
        lazy_gettext("The class was renamed, or its name has a different capital."),
        lazy_gettext("Give the class the name of its file (here, the main class is called Main).")),
    "java.unreported_exception": LabText(
        lazy_gettext("%(exception)s must be handled"),
        lazy_gettext("This instruction can throw %(exception)s, and Java requires you to say "
                     "what to do then."),
        lazy_gettext("The exception is neither caught (try/catch) nor declared (throws)."),
        lazy_gettext("Put the instruction in try { … } catch (%(exception)s e) { … }, or add "
                     "throws %(exception)s after the parameters of the method.")),
    "java.uninitialized_variable": LabText(
        lazy_gettext("%(name)s may have no value"),
        lazy_gettext("The variable %(name)s is used but may not have received a value yet."),
        lazy_gettext("It is declared without a value, or it gets one only inside an if."),
        lazy_gettext("Give it a value when you declare it, for example int %(name)s = 0;.")),
    "java.unclosed_string": LabText(
        lazy_gettext("Text (string) not closed"),
        lazy_gettext("A text between double quotes starts here but does not end on the same "
                     "line."),
        lazy_gettext("The closing \" is missing."),
        lazy_gettext("Close the text with \" before the end of the line.")),
    "java.end_of_file": LabText(
        lazy_gettext("The file ended too soon"),
        lazy_gettext("Java reached the end of the file while a block was still open."),
        lazy_gettext("A closing brace } is missing."),
        lazy_gettext("Count the { and }: each class, method, if, for and while must be closed.")),
    "java.wrong_arguments": LabText(
        lazy_gettext("Wrong arguments for %(method)s"),
        lazy_gettext("The call to %(method)s does not give the number or the types of values "
                     "the method expects."),
        lazy_gettext("A value missing or extra, or a value of the wrong type."),
        lazy_gettext("Compare the call with the first line of the method: same number of "
                     "values, same types, same order.")),
    "java.main_class_missing": LabText(
        lazy_gettext("No class Main"),
        lazy_gettext("Ardoise runs the class Main, and there is none in your program."),
        lazy_gettext("The class has another name."),
        lazy_gettext("Name your main class Main: public class Main { public static void "
                     "main(String[] args) { … } }.")),
    "java.null_pointer": LabText(
        lazy_gettext("Using null (NullPointerException)"),
        lazy_gettext("The program used an object that is null, that is, that does not exist."),
        lazy_gettext("A variable, an array element or a field that was never given an object "
                     "(no new …)."),
        lazy_gettext("Check that the object is created with new (or assigned) before this line.")),
    "java.array_index": LabText(
        lazy_gettext("Index %(index)s outside the array"),
        lazy_gettext("The program asked for position %(index)s of an array of length %(length)s."),
        lazy_gettext("Positions go from 0 to length − 1. Often a loop with <= instead of <."),
        lazy_gettext("Use i < array.length as the loop condition.")),
    "java.string_index": LabText(
        lazy_gettext("Position %(index)s outside the text"),
        lazy_gettext("The program asked for character %(index)s of a text that is shorter."),
        lazy_gettext("Positions go from 0 to length() − 1."),
        lazy_gettext("Compare the position with text.length() before using charAt or substring.")),
    "java.input_mismatch": LabText(
        lazy_gettext("The input is not of the expected type"),
        lazy_gettext("The Scanner expected a number (nextInt, nextDouble…) but the input has "
                     "something else."),
        lazy_gettext("Letters in the input, a decimal number read with nextInt, or a comma "
                     "where a point is expected."),
        lazy_gettext("Compare the order of your next… calls with the example input.")),
    "java.number_format": LabText(
        lazy_gettext("“%(value)s” is not a number"),
        lazy_gettext("The text “%(value)s” could not be turned into a number."),
        lazy_gettext("Letters, spaces or a comma in the text given to Integer.parseInt or "
                     "Double.parseDouble."),
        lazy_gettext("Check what the text really contains; trim() removes the spaces around it.")),
    "java.no_such_element": LabText(
        lazy_gettext("No more input to read"),
        lazy_gettext("The Scanner was asked for another value, but the input is finished."),
        lazy_gettext("The program reads more values than the input gives."),
        lazy_gettext("Count your next… calls and compare with the example input, or test with "
                     "hasNext…().")),
    "java.division_by_zero": LabText(
        lazy_gettext("Division by zero"),
        lazy_gettext("The program divided an integer by 0 (with / or the remainder), which is "
                     "impossible."),
        lazy_gettext("A divisor that is 0, often a counter or a length that stayed at 0, for "
                     "example the average of an empty list."),
        lazy_gettext("Before dividing, check that the divisor is not 0.")),
    "java.stack_overflow": LabText(
        lazy_gettext("Too many nested calls (StackOverflowError)"),
        lazy_gettext("A method called itself again and again until there was no room left."),
        lazy_gettext("The stopping case (base case) is missing or never reached."),
        lazy_gettext("Check that the method stops for a simple case and that each call gets "
                     "closer to that case.")),
    "java.out_of_memory": LabText(
        lazy_gettext("Out of memory"),
        lazy_gettext("Java ran out of memory for the objects your program creates."),
        lazy_gettext("A huge array, or a list that grows inside a loop that never ends."),
        lazy_gettext("Check the size of the arrays and lists you create and the end of your "
                     "loops.")),
    "javascript.reference_error": LabText(
        lazy_gettext("“%(name)s” is not defined"),
        lazy_gettext("JavaScript does not know any variable or function called %(name)s."),
        lazy_gettext("A typo (capitals count), or a variable declared inside another block { }."),
        lazy_gettext("Check the spelling and declare the variable with let or const before "
                     "using it.")),
    "javascript.uninitialized": LabText(
        lazy_gettext("“%(name)s” used before its declaration"),
        lazy_gettext("The variable %(name)s is used on a line above its let or const."),
        lazy_gettext("The declaration comes too late in the program."),
        lazy_gettext("Move the let or const line above the first use.")),
    "javascript.undefined_property": LabText(
        lazy_gettext("Reading “%(property)s” of %(value)s"),
        lazy_gettext("The program used .%(property)s on a value that is %(value)s, which has "
                     "no properties."),
        lazy_gettext("A variable without a value, a property name misspelled one step earlier, "
                     "or an array index past the end."),
        lazy_gettext("Print the object just before this line with console.log to see what it "
                     "holds.")),
    "javascript.not_a_function": LabText(
        lazy_gettext("%(name)s is not a function"),
        lazy_gettext("Parentheses after %(name)s mean “call it”, but it is not a function."),
        lazy_gettext("A typo in the name of a method, or a variable with the same name as a "
                     "function."),
        lazy_gettext("Check the exact name of the function or method (capitals count).")),
    "javascript.const_assignment": LabText(
        lazy_gettext("A const cannot change"),
        lazy_gettext("The program gives a new value to a variable declared with const."),
        lazy_gettext("const is for values that never change."),
        lazy_gettext("Declare the variable with let if its value must change.")),
    "javascript.syntax_error": LabText(
        lazy_gettext("Syntax error"),
        lazy_gettext("JavaScript cannot understand how this line is written (“%(message)s”)."),
        lazy_gettext("A missing or extra symbol: a bracket, a quote, a comma, a colon, an "
                     "operator."),
        lazy_gettext("Look closely at the place shown, and at the end of the line before.")),
    "javascript.unexpected_end": LabText(
        lazy_gettext("The file ended too soon"),
        lazy_gettext("JavaScript reached the end of the file while something was still open."),
        lazy_gettext("A closing brace }, bracket ) or ] is missing."),
        lazy_gettext("Count the { and }, the ( and ): each one opened must be closed.")),
    "javascript.stack_overflow": LabText(
        lazy_gettext("Too many nested calls (recursion)"),
        lazy_gettext("A function called itself again and again until there was no room left."),
        lazy_gettext("The stopping case (base case) is missing or never reached."),
        lazy_gettext("Check that the function stops for a simple case and that each call gets "
                     "closer to that case.")),
    "javascript.module_not_found": LabText(
        lazy_gettext("Module “%(module)s” not found"),
        lazy_gettext("require could not find a module called %(module)s."),
        lazy_gettext("A typo in its name, or a module that is not installed here."),
        lazy_gettext("Check the spelling; only the modules built into Node.js are available "
                     "here.")),
}


def explanation_text(explanation: Explanation | Mapping[str, Any]) -> dict[str, str]:
    """``title``, ``meaning``, ``cause`` and ``hint`` of an explanation (or of its
    ``to_dict()``) in the current locale; an unknown code gets the generic texts."""
    if not isinstance(explanation, Explanation):
        explanation = Explanation.from_dict(explanation)
    texts = LAB_TEXTS.get(explanation.code) or LAB_TEXTS["unknown"]
    params = {key: str(value) for key, value in explanation.params.items()}
    hint = texts.suggestion if texts.suggestion is not None and params.get("suggestion") \
        else texts.hint
    return {"title": _fill(texts.title, params), "meaning": _fill(texts.meaning, params),
            "cause": _fill(texts.cause, params), "hint": _fill(hint, params)}


def location_text(explanation: Explanation | Mapping[str, Any]) -> str:
    """Where the error is, in words ("Line 4, column 20 of main.c"), or ``""`` when it is
    not in the student's files."""
    if not isinstance(explanation, Explanation):
        explanation = Explanation.from_dict(explanation)
    if explanation.line is None or explanation.file is None:
        return ""
    if explanation.column is None:
        return gettext("Line %(line)s of %(file)s", line=explanation.line, file=explanation.file)
    return gettext("Line %(line)s, column %(column)s of %(file)s", line=explanation.line,
                   column=explanation.column, file=explanation.file)
