/** The fault matrix's rows about the ECR API (test/faults/matrix.ts), each driven as drive.ts says. */
import { driveGroup } from './drive';

driveGroup('the ECR API');
