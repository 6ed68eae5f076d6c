package io.switchboard.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.switchboard.schema.event.FailureCode;

/** GBNF grammars read as llama.cpp reads them: each row a grammar ('\n' for new lines) and why it is refused, if it is. */
class GbnfCheckTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '`', textBlock = """
            root ::= "yes" | "no"  =>
            root ::= answer\\nanswer ::= [a-z]+ ("," [a-z]+)*  =>
            root ::= ( "a" | "b" )? [^\\n]{2,5} . x{3} # a comment\\nx ::= [\\x41-\\u005A]  =>
            root ::= (\\n  "a"\\n  | "b"\\n)  =>
            root ::= "\\"quoted\\"" [\\]\\[]  =>
            root ::= [  =>  a character class does not end
            root ::= "open  =>  a literal does not end
            root ::= item  =>  'item' is used but not defined
            item ::= "a"  =>  no 'root' rule
            root = "a"  =>  expecting '::='
            root ::= ("a"  =>  expecting ')'
            root ::= * "a"  =>  nothing before it
            root ::= "a"{x}  =>  expecting an integer
            root ::= "\\q"  =>  unknown escape
            root ::= "a" ) "b"  =>  expecting a new line
            root ::= x{2,} x{0,3}\\r\\nx ::= "a" |  =>
            root ::= root "a" | "a"  =>  left-recursive
            root ::= x? root "a" | "a"\\nx ::= "b"  =>  left-recursive
            root ::= x "a"\\nx ::= ( "" | y ) root\\ny ::= "c"  =>  left-recursive
            root ::= "a" root | "a"  =>
            root ::= "a"{2000}  =>  above 1000
            root ::= ""*  =>  nothing before it
            root ::= []+  =>  nothing before it
            root ::= "\\x4"  =>  hex digits
            """)
    void refusesWhatLlamaCppWouldNotParse(String grammar, String refused) {
        String g = grammar.replace("\\r", "\r").replace("\\n", "\n");
        if (refused == null) {
            assertThatCode(() -> GbnfCheck.check(g)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> GbnfCheck.check(g)).isInstanceOfSatisfying(EngineException.class,
                    e -> assertThat(e.code()).isEqualTo(FailureCode.ENGINE_REJECTED_REQUEST)).hasMessageContaining(refused);
        }
    }

    @org.junit.jupiter.api.Test
    void aChoiceIsWrittenAsLiteralsGbnfReads() {
        String literal = Grammars.literal("a\"b\\c\nd\be");
        assertThat(literal).isEqualTo("\"a\\\"b\\\\c\\nd\\x08e\"");
        assertThatCode(() -> GbnfCheck.check("root ::= " + literal)).doesNotThrowAnyException();
    }
}
