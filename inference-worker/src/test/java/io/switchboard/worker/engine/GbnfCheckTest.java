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
            """)
    void refusesWhatLlamaCppWouldNotParse(String grammar, String refused) {
        String g = grammar.replace("\\n", "\n");
        if (refused == null) {
            assertThatCode(() -> GbnfCheck.check(g)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> GbnfCheck.check(g)).isInstanceOfSatisfying(EngineException.class,
                    e -> assertThat(e.code()).isEqualTo(FailureCode.ENGINE_REJECTED_REQUEST)).hasMessageContaining(refused);
        }
    }
}
