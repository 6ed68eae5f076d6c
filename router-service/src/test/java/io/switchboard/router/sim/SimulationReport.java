package io.switchboard.router.sim;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * Not part of the suite (its name matches no test pattern): {@code deploy/sim/run.sh} runs it with
 * {@code -Dtest=SimulationReport -Dsim.scenarios=DIR_OR_FILE} to print every scenario's table under every policy, and
 * {@code -Dsim.out=FILE} to write the tables there too.
 */
class SimulationReport {

    @Test
    void printsTheScenariosTables() throws Exception {
        String scenarios = System.getProperty("sim.scenarios");
        assumeTrue(scenarios != null && !scenarios.isBlank(), "set -Dsim.scenarios");
        Path path = Path.of(scenarios);
        StringBuilder all = new StringBuilder();
        for (Path file : Files.isDirectory(path) ? Report.scenarioFiles(path) : java.util.List.of(path)) {
            String table = Report.format(Report.run(Scenario.load(file)));
            System.out.print(table);
            all.append(table);
        }
        String out = System.getProperty("sim.out");
        if (out != null && !out.isBlank()) {
            Files.writeString(Path.of(out), all);
        }
    }
}
