/** The `vczdepot` command as a child of test/trust/hostile-vcz.test.ts (bundled by `bundle`, run under /usr/bin/time). */
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv);
